"""The operator's status page: sessions, queue, recurring failures, flaky tests and a chart, as one HTML page.  PURE.

No script and no external asset: the chart of failures per week and category is inline SVG, so the
page works behind any proxy and in a locked-down browser.
"""

from __future__ import annotations

import time
from html import escape

from bot.receiver.overview import Overview, Recurring

# One colour per triage category (bot.triage.category), and grey for anything else.
COLOURS = {"test": "#d62728", "compile": "#ff7f0e", "lint": "#bcbd22", "dependency": "#9467bd", "infra": "#1f77b4",
           "timeout": "#8c564b", "resource": "#e377c2", "config": "#17becf", "unknown": "#7f7f7f"}
WIDTH, HEIGHT, PAD = 640, 220, 30
STYLE = ("body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}"
         "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f4f4f4}"
         ".muted{color:#777}.legend span{display:inline-block;margin-right:1em}"
         ".swatch{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:middle}")


def chart_svg(weekly: dict[str, dict[str, int]]) -> str:
    """A stacked bar per ISO week, one colour per category; an empty chart says there is nothing yet."""
    weeks = sorted(weekly)[-12:]
    if not weeks:
        return (f'<svg id="failures-chart" role="img" aria-label="no failures recorded" width="{WIDTH}" height="40">'
                '<text x="0" y="25">No failures recorded yet.</text></svg>')
    top = max(sum(weekly[w].values()) for w in weeks) or 1
    slot = (WIDTH - PAD) / len(weeks)
    bar = max(4.0, slot * 0.7)
    parts = [f'<svg id="failures-chart" role="img" aria-label="failures per week by category" width="{WIDTH}" '
             f'height="{HEIGHT + PAD}" viewBox="0 0 {WIDTH} {HEIGHT + PAD}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="0" y="12" font-size="11">{top}</text>',
             f'<line x1="{PAD}" y1="{HEIGHT}" x2="{WIDTH}" y2="{HEIGHT}" stroke="#999"/>']
    for i, week in enumerate(weeks):
        x, base = PAD + i * slot, float(HEIGHT)
        for category, count in sorted(weekly[week].items()):
            height = (HEIGHT - 20) * count / top
            base -= height
            parts.append(f'<rect class="bar" data-week="{escape(week)}" data-category="{escape(category)}" '
                         f'data-count="{count}" x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                         f'fill="{COLOURS.get(category, "#7f7f7f")}"><title>{escape(week)} {escape(category)}: '
                         f'{count}</title></rect>')
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT + 16}" font-size="10">{escape(week[5:])}</text>')
    parts.append("</svg>")
    categories = sorted({c for w in weeks for c in weekly[w]})
    legend = "".join(f'<span><i class="swatch" style="background:{COLOURS.get(c, "#7f7f7f")}"></i>{escape(c)}</span>'
                     for c in categories)
    return "".join(parts) + f'<p class="legend">{legend}</p>'


def render(view: Overview, *, now: float | None = None, note: str = "") -> str:
    """The whole page."""
    now = time.time() if now is None else now
    queue = ", ".join(f"{k} {v}" for k, v in view.queue.items()) or "unknown"
    workers = "unknown" if view.workers is None else str(view.workers)
    body = [f"<h1>teabot status</h1><p>Queue: {escape(queue)} · live workers: {workers}</p>",
            f'<p class="muted">{escape(note)}</p>' if note else "",
            "<h2>Sessions in flight</h2>",
            _table(["session", "repository", "workflow", "run", "state", "attempts", "tokens", "minutes", "age"],
                   [[s.key[:12], s.repo, s.workflow, str(s.run_id), s.state, s.attempts, s.tokens, s.minutes,
                     _age(now - s.created_at)] for s in view.in_flight], "sessions", "No session in flight."),
            "<h2>Last failed jobs</h2>",
            _table(["job", "id", "ended", "error"],
                   [[f.job, f.job_id, _age(now - f.ended_at) + " ago" if f.ended_at else "", f.error]
                    for f in view.failed_jobs], "failed-jobs", "No failed job."),
            "<h2>Failures per week</h2>", chart_svg(view.weekly),
            "<h2>Recurring failures</h2>", _failures(view.recurring, now, "recurring", "No failure came back."),
            "<h2>Flaky tests</h2>", _failures(view.flaky, now, "flaky", "No flaky failure recorded.")]
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>teabot status</title>'
            f'<meta name="robots" content="noindex"><style>{STYLE}</style></head><body>{"".join(body)}</body></html>')


def _failures(rows: list[Recurring], now: float, table_id: str, empty: str) -> str:
    return _table(["repository", "category", "times", "summary", "last outcome", "last seen"],
                  [[r.repo, r.category, str(r.count), r.summary, r.last_outcome or "open",
                    _age(now - r.last_seen) + " ago"] for r in rows], table_id, empty)


def _table(head: list[str], rows: list[list[str]], table_id: str, empty: str) -> str:
    if not rows:
        return f'<p id="{table_id}" class="muted">{escape(empty)}</p>'
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    cells = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><tr>{header}</tr>{cells}</table>'


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"
