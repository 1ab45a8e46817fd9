"""Counters the job workers keep for the receiver's /metrics: jobs, Gitea API calls, model tokens.

`rq` workers may run on other machines than the web processes, so what they count goes to Redis
(one hash, HINCRBYFLOAT per sample) and the receiver exports it when scraped. Without Redis the
jobs run inside the web process, and `LocalTelemetry` counts with prometheus-client directly
(aggregated across gunicorn workers by its multiprocess mode).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

import httpx

log = logging.getLogger(__name__)

KEY = "teabot:telemetry"
JOB_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0)
# name -> (help, label names, kind)
FAMILIES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "teabot_job_runs": ("Jobs run by the workers, by job and outcome", ("job", "outcome"), "counter"),
    "teabot_job_seconds": ("Time a job ran, by job", ("job",), "histogram"),
    "teabot_gitea_requests": ("Gitea API requests by method, templated route and status class",
                              ("method", "route", "status"), "counter"),
    "teabot_model_tokens": ("Model tokens by task and kind (prompt, completion)", ("task", "kind"), "counter"),
}
_SEGMENT_RULES = [
    (re.compile(r"^/repos/[^/]+/[^/]+"), "/repos/{owner}/{repo}"),
    (re.compile(r"^/(users|orgs)/[^/]+"), r"/\1/{name}"),
    (re.compile(r"/(contents|raw|media)/.*$"), r"/\1/{path}"),
    (re.compile(r"/(branches|tags)/.+$"), r"/\1/{ref}"),  # branch names may hold slashes: always the tail
    (re.compile(r"/(commits|statuses|git/refs|git/trees|git/commits)/[^/]+"), r"/\1/{ref}"),
    (re.compile(r"/\d+(?=/|$)"), "/{n}"),
    (re.compile(r"/[0-9a-f]{40}(?=/|$)"), "/{sha}"),
]
MAX_ROUTES = 200  # a label value per templated route; anything past this is counted as "other"


def route_template(path: str) -> str:
    """Gitea API path with owner, repo, numbers, refs and file paths replaced, e.g. /repos/{owner}/{repo}/issues/{n}."""
    path = "/" + path.split("?")[0].removeprefix("/api/v1").strip("/")
    for pattern, replacement in _SEGMENT_RULES:
        path = pattern.sub(replacement, path)
    return path


class Telemetry(Protocol):
    """Where samples go."""

    def inc(self, name: str, labels: Mapping[str, str], amount: float = 1.0) -> None: ...

    def observe(self, name: str, labels: Mapping[str, str], value: float) -> None: ...


class RedisTelemetry:
    """Samples kept in one Redis hash, for every process on every machine."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def inc(self, name: str, labels: Mapping[str, str], amount: float = 1.0) -> None:
        """Add `amount` to a counter."""
        self._write({_field(name, labels): amount})

    def observe(self, name: str, labels: Mapping[str, str], value: float) -> None:
        """Record one histogram sample (cumulative buckets, sum and count)."""
        fields = {_field(f"{name}_bucket", {**labels, "le": _le(b)}): 1.0 for b in JOB_BUCKETS if value <= b}
        fields[_field(f"{name}_bucket", {**labels, "le": "+Inf"})] = 1.0
        fields[_field(f"{name}_sum", labels)] = value
        fields[_field(f"{name}_count", labels)] = 1.0
        self._write(fields)

    def _write(self, fields: dict[str, float]) -> None:
        try:
            with self.connection.pipeline(transaction=False) as pipe:
                for key, amount in fields.items():
                    pipe.hincrbyfloat(KEY, key, amount)
                pipe.execute()
        except Exception as exc:  # metrics must never fail a job
            log.debug("telemetry not recorded: %s", exc)


class LocalTelemetry:
    """Samples counted by prometheus-client in this process (aggregated across processes in multiprocess mode)."""

    def __init__(self, registry: Any = None) -> None:
        from prometheus_client import Counter, Histogram

        self.metrics: dict[str, Any] = {}
        for name, (text, labels, kind) in FAMILIES.items():
            if kind == "histogram":
                self.metrics[name] = Histogram(name, text, labels, buckets=JOB_BUCKETS, registry=registry)
            else:
                self.metrics[name] = Counter(name, text, labels, registry=registry)

    def inc(self, name: str, labels: Mapping[str, str], amount: float = 1.0) -> None:
        """Add `amount` to a counter."""
        self.metrics[name].labels(**labels).inc(amount)

    def observe(self, name: str, labels: Mapping[str, str], value: float) -> None:
        """Record one histogram sample."""
        self.metrics[name].labels(**labels).observe(value)


def families(connection: Any) -> Iterator[Any]:
    """The samples kept in Redis as Prometheus metric families (for a custom collector)."""
    from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

    samples = read_samples(connection)
    for name, (text, labels, kind) in FAMILIES.items():
        if kind == "counter":
            family = CounterMetricFamily(name, text, labels=list(labels))
            for (sample, pairs), value in sorted(samples.items()):
                if sample == name:
                    family.add_metric([dict(pairs).get(label, "") for label in labels], value)
            yield family
            continue
        family = HistogramMetricFamily(name, text, labels=list(labels))
        for (sample, pairs), count in sorted(samples.items()):
            if sample != f"{name}_count":
                continue
            values = dict(pairs)
            key = [values.get(label, "") for label in labels]
            buckets = [(le, samples.get((f"{name}_bucket", tuple(sorted({**values, "le": le}.items()))), 0.0))
                       for le in [*(_le(b) for b in JOB_BUCKETS), "+Inf"]]
            family.add_metric(key, buckets, samples.get((f"{name}_sum", pairs), 0.0))
        yield family


def read_samples(connection: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample in Redis as {(name, sorted labels): value}."""
    samples = {}
    for key, value in (connection.hgetall(KEY) or {}).items():
        name, labels = json.loads(key)
        samples[(name, tuple(sorted(labels.items())))] = float(value)
    return samples


def _field(name: str, labels: Mapping[str, str]) -> str:
    return json.dumps([name, dict(sorted(labels.items()))], separators=(",", ":"))


def _le(bucket: float) -> str:
    return repr(float(bucket))


class CountingTransport(httpx.BaseTransport):
    """An httpx transport that counts Gitea API calls by templated route, or model tokens by task."""

    def __init__(self, inner: httpx.BaseTransport, telemetry: Telemetry, kind: str) -> None:
        self.inner, self.telemetry, self.kind = inner, telemetry, kind
        self._routes: set[str] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request, then count it."""
        try:
            response = self.inner.handle_request(request)
        except httpx.HTTPError:
            if self.kind == "gitea":
                self._count_call(request, "error")
            raise
        if self.kind == "gitea":
            self._count_call(request, f"{response.status_code // 100}xx")
        elif request.url.path.endswith("/chat/completions") and response.status_code < 400:
            self._count_tokens(request, response)
        return response

    def close(self) -> None:
        self.inner.close()

    def _count_call(self, request: httpx.Request, status: str) -> None:
        route = route_template(request.url.path)
        if route not in self._routes and len(self._routes) >= MAX_ROUTES:
            route = "other"
        self._routes.add(route)
        self.telemetry.inc("teabot_gitea_requests", {"method": request.method, "route": route, "status": status})

    def _count_tokens(self, request: httpx.Request, response: httpx.Response) -> None:
        task = request.headers.get("X-Teabot-Task", "default")[:40]
        try:
            usage = json.loads(response.read()).get("usage") or {}
        except ValueError:
            return
        for kind in ("prompt", "completion"):
            if tokens := usage.get(f"{kind}_tokens"):
                self.telemetry.inc("teabot_model_tokens", {"task": task, "kind": kind}, float(tokens))
