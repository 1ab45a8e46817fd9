"""Model text made safe to post on Gitea: no hidden comments, no markers, no mentions, no images.  PURE.

Model output may carry anything an attacker got into its input. Before it is posted it is escaped:
every `<!--` is broken (`<!` + U+200B + `--`, even in code, so no `<!-- teabot:… -->` marker or
plan block can ever appear in the bot's comment), other raw HTML tags outside code are shown as
text, images become links (no request to a third party when the page renders), `@mentions`
are neutralised with a word joiner (no one is pinged), and secrets are redacted.
"""

from __future__ import annotations

import re

from bot.redact import redact

_COMMENT = re.compile(r"<!\s*--")
_TAG = re.compile(r"<(?=[A-Za-z/!?])")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(")
_MENTION = re.compile(r"(?<![\w.`/])@(?=[A-Za-z0-9_][\w.-]*)")
_FENCE = re.compile(r"^\s*(```|~~~)")


def escape_model_text(text: str) -> str:
    """Model text fit to post as (part of) a comment, PR body or commit message."""
    text = _COMMENT.sub("<!\u200b--", redact(text or ""))
    out, fenced = [], False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
            out.append(line)
            continue
        out.append(line if fenced else _inline(line))
    return "\n".join(out)


def _inline(line: str) -> str:
    """Escape outside inline code spans (the odd pieces between backticks are code)."""
    pieces = line.split("`")
    for i in range(0, len(pieces), 2):
        piece = _TAG.sub("&lt;", pieces[i])
        piece = _IMAGE.sub(lambda m: f"[image: {m.group(1)}](", piece)
        pieces[i] = _MENTION.sub("@\u2060", piece)
    return "`".join(pieces)
