"""The stores of learned cause shapes: a directory (the CLI and the benchmark), Redis (the bot), and the
state file (the bot without Redis, `bot.worker.state`).

All follow `bot.triage.memory.ShapeStore` and keep the same bounds (`bounded`, `merged` there), so
`teabot triage --state DIR` and the bot's 👍 / `/triage lines …` feedback learn through the same code.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.triage.memory import (MAX_AGE, MAX_SHAPES, REDIS_PREFIX, Confirmed, ShapeEntry, bounded, distinct, merged,
                               to_learned)
from bot.triage.shapes import Learned
from bot.worker.state import StateDB


class DirectoryStore:
    """One JSON file per repository in a directory; written atomically (temp file + rename)."""

    FILE = "shapes.json"

    def __init__(self, directory: Path | str, repo: str = "") -> None:
        name = re.sub(r"[^\w.-]+", "_", repo).strip("._") + ".shapes.json" if repo else self.FILE
        self.path = Path(directory) / name

    def entries(self, now: float | None = None) -> list[ShapeEntry]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []          # nothing learned yet, or a damaged file: triage as if new
        items = raw.get("shapes", []) if isinstance(raw, dict) else []
        found = [ShapeEntry(str(i["shape"]), int(i["count"]), float(i["seen"]), bool(i.get("head"))) for i in items
                 if isinstance(i, dict) and {"shape", "count", "seen"} <= i.keys()]
        return bounded(found, time.time() if now is None else now)

    def load(self, now: float | None = None) -> Learned:
        return to_learned(self.entries(now))

    def record(self, shapes: Iterable[Confirmed], now: float | None = None) -> int:
        now = time.time() if now is None else now
        before = self.entries(now)
        after = merged(before, shapes, now)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # here: it loads `random` and OpenSSL, which reading the state never needs

        payload = {"version": 1, "shapes": [{"shape": e.shape, "count": e.count, "seen": e.seen, "head": e.head}
                                            for e in after]}
        fd, tmp = tempfile.mkstemp(prefix=".shapes-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(payload, out, ensure_ascii=False)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return len(after) - len(before)

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)


class RedisStore:
    """Redis keys per repository: `<prefix><repo>:count` (hash shape -> confirmations),
    `<prefix><repo>:seen` (sorted set shape -> last confirmed) and `<prefix><repo>:head` (set of the
    shapes that opened a cause); the same bounds, trimmed on write."""

    def __init__(self, client: object, repo: str, prefix: str = REDIS_PREFIX) -> None:
        self.client = client
        self.count_key = f"{prefix}{repo}:count"
        self.seen_key = f"{prefix}{repo}:seen"
        self.head_key = f"{prefix}{repo}:head"

    def entries(self, now: float | None = None) -> list[ShapeEntry]:
        now = time.time() if now is None else now
        seen = self.client.zrangebyscore(self.seen_key, now - MAX_AGE, "+inf", withscores=True)
        if not seen:
            return []
        names = [_text(s) for s, _ in seen]
        counts = self.client.hmget(self.count_key, names)
        heads = {_text(h) for h in self.client.smembers(self.head_key)}
        found = [ShapeEntry(n, int(c or 1), float(t), n in heads)
                 for n, (_, t), c in zip(names, seen, counts, strict=True)]
        return bounded(found, now)

    def load(self, now: float | None = None) -> Learned:
        return to_learned(self.entries(now))

    def record(self, shapes: Iterable[Confirmed], now: float | None = None) -> int:
        now = time.time() if now is None else now
        new = distinct(shapes)
        if not new:
            return 0
        before = self.client.zcard(self.seen_key)
        pipe = self.client.pipeline(transaction=True)
        for s, _ in new:
            pipe.hincrby(self.count_key, s, 1)
        pipe.zadd(self.seen_key, {s: now for s, _ in new})
        if heads := [s for s, head in new if head]:
            pipe.sadd(self.head_key, *heads)
        pipe.execute()
        self._trim(now)
        return self.client.zcard(self.seen_key) - before

    def _trim(self, now: float) -> None:
        old = self.client.zrangebyscore(self.seen_key, "-inf", f"({now - MAX_AGE}")
        extra = self.client.zrange(self.seen_key, 0, -(MAX_SHAPES + 1))    # oldest beyond the cap
        drop = list({*old, *extra})
        if drop:
            pipe = self.client.pipeline(transaction=True)
            pipe.zrem(self.seen_key, *drop)
            pipe.hdel(self.count_key, *drop)
            pipe.srem(self.head_key, *drop)
            pipe.execute()
        for key in (self.seen_key, self.count_key, self.head_key):   # a repository that stops failing fades out
            self.client.expire(key, int(MAX_AGE))

    def forget(self) -> None:
        self.client.delete(self.count_key, self.seen_key, self.head_key)


SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS shapes (repo TEXT, shape TEXT, count INTEGER NOT NULL, seen REAL NOT NULL,
                                   head INTEGER NOT NULL, PRIMARY KEY (repo, shape));
"""


class SqliteStore:
    """A repository's shapes as rows of the state file; a confirmation merges them in one write transaction."""

    def __init__(self, db: StateDB, repo: str) -> None:
        self.db = db
        self.repo = repo
        db.ensure(SQLITE_SCHEMA)

    def entries(self, now: float | None = None) -> list[ShapeEntry]:
        rows = self.db.rows("SELECT shape, count, seen, head FROM shapes WHERE repo = ?", (self.repo,))
        return bounded(self._entries(rows), time.time() if now is None else now)

    def load(self, now: float | None = None) -> Learned:
        return to_learned(self.entries(now))

    def record(self, shapes: Iterable[Confirmed], now: float | None = None) -> int:
        now = time.time() if now is None else now
        with self.db.write() as db:
            rows = db.execute("SELECT shape, count, seen, head FROM shapes WHERE repo = ?", (self.repo,)).fetchall()
            before = bounded(self._entries(rows), now)
            after = merged(before, shapes, now)
            db.execute("DELETE FROM shapes WHERE repo = ?", (self.repo,))
            db.executemany("INSERT INTO shapes VALUES (?, ?, ?, ?, ?)",
                           [(self.repo, e.shape, e.count, e.seen, int(e.head)) for e in after])
        return len(after) - len(before)

    def forget(self) -> None:
        with self.db.write() as db:
            db.execute("DELETE FROM shapes WHERE repo = ?", (self.repo,))

    @staticmethod
    def _entries(rows: Iterable[tuple[str, int, float, int]]) -> list[ShapeEntry]:
        return [ShapeEntry(shape, int(count), float(seen), bool(head)) for shape, count, seen, head in rows]


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
