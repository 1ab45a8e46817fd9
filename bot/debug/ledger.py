"""The failure ledger: every triaged CI failure per repository, kept in Redis (`Ledger`).

Without Redis the same ledger is kept in the state file (`bot.debug.ledger_db.SqliteLedger`); both
follow `FailureLedger`.

Keys (all under `teabot:ledger:`):
    next                      INCR counter for failure ids
    failure:<id>              hash: metadata, excerpt, fingerprint, category, outcome (expires)
    raw:<id>                  the raw log, zlib-compressed and size-capped (expires)
    feedback:<id>             hash: user -> +1 / -1 (expires)
    taught:<id>               set: users whose 👍 taught triage this failure's cause lines (expires)
    repo:<repo>:all           sorted set: id -> recorded time
    repo:<repo>:fp:<fp>       sorted set: id -> recorded time, one per fingerprint
    repo:<repo>:counts        hash: "<ISO week>|<category>" -> count
    run:<repo>:<run>:<job>    the id recorded for that failed job (expires): a job run again records it once
Index entries older than the retention are trimmed on write; expired records are skipped on read.
"""

from __future__ import annotations

import json
import logging
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, Protocol

import redis

from bot.redact import redact, redact_bytes
from bot.triage import Triage
from bot.triage.fingerprint import jaccard

log = logging.getLogger(__name__)

PREFIX = "teabot:ledger:"
SIMILAR_SCAN = 500     # most recent failures of a repository compared by `similar`
_META = ("repo", "run_id", "job_id", "workflow", "branch", "commit", "trigger", "fetched_at")


@dataclass(frozen=True)
class FailureRecord:
    """One failed job as the debug agent saw it: where it ran, what triage found, its raw log."""

    repo: str
    run_id: int | str
    job_id: int | str = ""
    workflow: str = ""
    branch: str = ""
    commit: str = ""
    trigger: str = ""
    fetched_at: str = ""
    excerpt: str = ""
    fingerprint: str = ""
    category: str = "unknown"
    summary: str = ""
    lines: tuple[int, ...] = ()
    tokens: tuple[str, ...] = ()
    raw_log: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_triage(cls, result: Triage, *, repo: str, run_id: int | str, raw_log: bytes | None = None,
                    **meta: str | int) -> FailureRecord:
        """A record from a triage result plus the run's metadata; the ledger keeps only redacted text."""
        return cls(repo=repo, run_id=run_id, excerpt=redact(result.excerpt), fingerprint=result.fingerprint,
                   category=result.category.value, summary=redact(result.summary),
                   lines=result.lines, tokens=tuple(t for t in result.tokens if redact(t) == t),
                   raw_log=None if raw_log is None else redact_bytes(raw_log), **meta)


@dataclass(frozen=True)
class StoredFailure:
    """A ledger entry as read back: the record's fields plus outcome and feedback."""

    id: str
    repo: str
    run_id: str
    job_id: str
    workflow: str
    branch: str
    commit: str
    trigger: str
    fetched_at: str
    recorded_at: float
    excerpt: str
    fingerprint: str
    category: str
    summary: str
    lines: tuple[int, ...]
    tokens: tuple[str, ...]
    raw_bytes: int
    raw_truncated: bool
    outcome: str
    outcome_detail: str
    feedback: int


class FailureLedger(Protocol):
    """Where failures, their outcomes and the feedback on them are kept."""

    def record(self, rec: FailureRecord) -> str: ...
    def get(self, fid: str) -> StoredFailure | None: ...
    def raw_log(self, fid: str) -> bytes | None: ...
    def set_outcome(self, fid: str, outcome: str, detail: str = "") -> None: ...
    def add_feedback(self, fid: str, vote: int, user: str) -> int: ...
    def first_confirmation(self, fid: str, user: str) -> bool: ...
    def history(self, repo: str, fingerprint: str, limit: int = 20) -> list[StoredFailure]: ...
    def similar(self, repo: str, probe: Triage | Iterable[str], limit: int = 5,
                min_score: float = 0.2) -> list[tuple[float, StoredFailure]]: ...
    def counts(self, repo: str) -> dict[str, dict[str, int]]: ...


class Ledger:
    """Record failures, their outcomes and feedback; query history, similar failures and counts."""

    def __init__(self, redis_conn: redis.Redis, *, max_raw_bytes: int = 1 << 20, ttl_days: float = 90,
                 clock: Callable[[], float] = time.time) -> None:
        self.redis = redis_conn
        self.max_raw_bytes = max_raw_bytes
        self.ttl = int(ttl_days * 86400)
        self.clock = clock

    def record(self, rec: FailureRecord) -> str:
        """Store one failure and return its id; a failed job recorded before (same repo, run and job) keeps its entry."""
        now = self.clock()
        claim = f"{PREFIX}run:{rec.repo}:{rec.run_id}:{rec.job_id}"
        known = self.redis.get(claim)
        if known is not None and self.redis.exists(PREFIX + f"failure:{_s(known)}"):
            log.info("ledger: failure %s already recorded", _s(known), extra={"repo": rec.repo, "run_id": rec.run_id})
            return _s(known)
        fid = str(self.redis.incr(PREFIX + "next"))
        raw, truncated = compress_log(rec.raw_log or b"", self.max_raw_bytes)
        mapping = record_fields(rec, now, truncated)
        base = f"{PREFIX}repo:{rec.repo}:"
        pipe = self.redis.pipeline()
        pipe.hset(PREFIX + f"failure:{fid}", mapping=mapping)
        pipe.expire(PREFIX + f"failure:{fid}", self.ttl)
        if rec.raw_log:
            pipe.set(PREFIX + f"raw:{fid}", raw, ex=self.ttl)
        for key in (base + "all", base + f"fp:{rec.fingerprint}"):
            pipe.zadd(key, {fid: now})
            pipe.zremrangebyscore(key, "-inf", now - self.ttl)
            pipe.expire(key, self.ttl)
        pipe.hincrby(base + "counts", f"{iso_week(now)}|{rec.category}", 1)
        pipe.set(claim, fid, ex=self.ttl)
        pipe.execute()
        log.info("ledger: recorded failure %s", fid, extra={"repo": rec.repo, "run_id": rec.run_id})
        return fid

    def get(self, fid: str) -> StoredFailure | None:
        """One stored failure, or None when unknown or expired."""
        data = self.redis.hgetall(PREFIX + f"failure:{fid}")
        if not data:
            return None
        votes = self.redis.hvals(PREFIX + f"feedback:{fid}")
        return stored(fid, {_s(k): _s(v) for k, v in data.items()}, sum(int(v) for v in votes))

    def raw_log(self, fid: str) -> bytes | None:
        """The stored raw log (possibly only its tail, see `raw_truncated`), or None."""
        blob = self.redis.get(PREFIX + f"raw:{fid}")
        return zlib.decompress(blob) if blob else None

    def set_outcome(self, fid: str, outcome: str, detail: str = "") -> None:
        """Note how the failure ended (e.g. "fixed", "flaky-rerun-passed", "reported")."""
        key = PREFIX + f"failure:{fid}"
        if not self.redis.exists(key):
            raise KeyError(f"no ledger entry {fid!r} (unknown or expired)")
        self.redis.hset(key, mapping={"outcome": outcome, "outcome_detail": detail})

    def add_feedback(self, fid: str, vote: int, user: str) -> int:
        """Record a user's +1/-1 on the diagnosis (one vote per user); return the total."""
        if vote not in (1, -1):
            raise ValueError("feedback vote must be +1 or -1")
        if not self.redis.exists(PREFIX + f"failure:{fid}"):
            raise KeyError(f"no ledger entry {fid!r} (unknown or expired)")
        key = PREFIX + f"feedback:{fid}"
        self.redis.hset(key, user, vote)
        self.redis.expire(key, self.ttl)
        return sum(int(v) for v in self.redis.hvals(key))

    def first_confirmation(self, fid: str, user: str) -> bool:
        """True the first time `user` confirms failure `fid` (a sweep sees the same 👍 again and again)."""
        key = PREFIX + f"taught:{fid}"
        added = self.redis.sadd(key, user.lower())
        self.redis.expire(key, self.ttl)
        return bool(added)

    def history(self, repo: str, fingerprint: str, limit: int = 20) -> list[StoredFailure]:
        """Earlier failures of a repository with this fingerprint, newest first."""
        ids = self.redis.zrevrange(f"{PREFIX}repo:{repo}:fp:{fingerprint}", 0, max(0, limit - 1))
        return self._load(ids)

    def similar(self, repo: str, probe: Triage | Iterable[str], limit: int = 5,
                min_score: float = 0.2) -> list[tuple[float, StoredFailure]]:
        """Recent failures whose key-line tokens resemble `probe` (Jaccard), best first."""
        ids = self.redis.zrevrange(f"{PREFIX}repo:{repo}:all", 0, SIMILAR_SCAN - 1)
        return ranked(probe, self._load(ids), limit, min_score)

    def repos(self) -> list[str]:
        """The repositories with failures recorded."""
        keys = (_s(k) for k in self.redis.scan_iter(match=f"{PREFIX}repo:*:all", count=200))
        return sorted({k.removeprefix(f"{PREFIX}repo:").removesuffix(":all") for k in keys})

    def recent(self, repo: str, limit: int = SIMILAR_SCAN) -> list[StoredFailure]:
        """The latest failures of a repository, newest first."""
        return self._load(self.redis.zrevrange(f"{PREFIX}repo:{repo}:all", 0, max(0, limit - 1)))

    def counts(self, repo: str) -> dict[str, dict[str, int]]:
        """Failures per ISO week ("2024-W07") and category."""
        out: dict[str, dict[str, int]] = {}
        for key, value in self.redis.hgetall(f"{PREFIX}repo:{repo}:counts").items():
            week, category = _s(key).split("|", 1)
            out.setdefault(week, {})[category] = int(value)
        return dict(sorted(out.items()))

    def _load(self, ids: Iterable[bytes | str]) -> list[StoredFailure]:
        found = (self.get(_s(i)) for i in ids)
        return [f for f in found if f is not None]


def ranked(probe: Triage | Iterable[str], failures: Iterable[StoredFailure], limit: int,
           min_score: float) -> list[tuple[float, StoredFailure]]:
    """The failures whose key-line tokens resemble `probe` by at least `min_score` (Jaccard), best first."""
    wanted = set(probe.tokens if isinstance(probe, Triage) else probe)
    scored = [(jaccard(wanted, set(f.tokens)), f) for f in failures]
    scored = [(round(s, 4), f) for s, f in scored if s >= min_score]
    scored.sort(key=lambda pair: (-pair[0], -pair[1].recorded_at))
    return scored[:limit]


def record_fields(rec: FailureRecord, now: float, raw_truncated: bool) -> dict[str, str]:
    """A record's fields as stored, all text (the Redis hash, the SQLite row's JSON)."""
    mapping = {name: str(getattr(rec, name)) for name in _META}
    mapping.update(recorded_at=repr(now), excerpt=rec.excerpt, fingerprint=rec.fingerprint,
                   category=rec.category, summary=rec.summary, lines=json.dumps(list(rec.lines)),
                   tokens=" ".join(rec.tokens), raw_bytes=str(len(rec.raw_log or b"")),
                   raw_truncated="1" if raw_truncated else "0", outcome="", outcome_detail="")
    return mapping


def compress_log(raw: bytes, limit: int) -> tuple[bytes, bool]:
    """zlib-compress a log; when that exceeds `limit` bytes keep only the log's tail that fits."""
    blob = zlib.compress(raw, 6)
    if len(blob) <= limit:
        return blob, False
    keep = len(raw)
    while keep > 0 and len(blob) > limit:
        keep = int(keep * limit / len(blob) * 0.9)
        blob = zlib.compress(raw[len(raw) - keep:] if keep else b"", 6)
    return blob, True


def iso_week(timestamp: float) -> str:
    """The ISO week of a UNIX time, e.g. "2024-W07"."""
    year, week, _ = datetime.fromtimestamp(timestamp, tz=timezone.utc).isocalendar()
    return f"{year}-W{week:02d}"


def _s(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def stored(fid: str, data: dict[str, str], feedback: int) -> StoredFailure:
    """A stored failure from its text fields and its feedback total."""
    names = {f.name for f in fields(StoredFailure)}
    values: dict[str, Any] = {k: v for k, v in data.items() if k in names}
    values.update(
        id=fid,
        recorded_at=float(data.get("recorded_at", 0) or 0),
        lines=tuple(json.loads(data.get("lines") or "[]")),
        tokens=tuple(data.get("tokens", "").split()),
        raw_bytes=int(data.get("raw_bytes", 0) or 0),
        raw_truncated=data.get("raw_truncated") == "1",
        feedback=feedback,
    )
    for name in names - values.keys():
        values[name] = ""
    return StoredFailure(**values)
