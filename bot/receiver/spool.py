"""A durable local spool of verified deliveries that could not be queued yet.

Gitea never retries a delivery, so a delivery the receiver answered 2xx for must survive Redis
being down. Each record is one JSON file, written to a temporary name, fsynced and renamed into
place (atomic on POSIX); a drainer claims a record by renaming it, and deletes it when done.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class SpoolError(Exception):
    """The spool directory cannot be written: the delivery would be lost."""


class Spool:
    """A directory of pending delivery records, oldest first."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def append(self, record: dict[str, Any]) -> Path:
        """Store `record` durably; raises SpoolError when that is impossible."""
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}.json"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = self.directory / f".{name}.tmp"
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump(record, handle)
                handle.flush()
                os.fsync(handle.fileno())
            final = self.directory / name
            os.replace(tmp, final)
            _fsync_dir(self.directory)
        except OSError as exc:
            raise SpoolError(f"cannot write the delivery spool at {self.directory}: {exc}; check TEABOT_DATA_DIR is writable") from exc
        return final

    def depth(self) -> int:
        """How many records wait (claimed ones included)."""
        if not self.directory.is_dir():
            return 0
        return sum(1 for p in self.directory.iterdir() if p.suffix in (".json", ".claimed"))

    def claim_all(self, *, stale_after: float = 300.0) -> Iterator[tuple[Path, dict[str, Any]]]:
        """Yield (claim, record) for each pending record, oldest first, claiming each one first.

        A record claimed more than `stale_after` seconds ago by a drainer that died is claimed again.
        """
        if not self.directory.is_dir():
            return
        now = time.time()
        for path in sorted(self.directory.iterdir()):
            if path.suffix == ".claimed" and now - _mtime(path) > stale_after:
                path = _rename(path, path.with_suffix(".json"))
            if path is None or path.suffix != ".json":
                continue
            claim = _rename(path, path.with_suffix(".claimed"))
            if claim is None:
                continue  # another drainer took it
            os.utime(claim)
            try:
                record = json.loads(claim.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.error("spool record %s is unreadable (%s); moved aside as .bad", claim.name, exc)
                _rename(claim, claim.with_suffix(".bad"))
                continue
            yield claim, record

    def done(self, claim: Path) -> None:
        """Forget a processed record."""
        claim.unlink(missing_ok=True)

    def release(self, claim: Path) -> None:
        """Put a claimed record back, for a later drain."""
        _rename(claim, claim.with_suffix(".json"))


def _rename(src: Path, dst: Path) -> Path | None:
    try:
        os.rename(src, dst)
    except FileNotFoundError:
        return None
    return dst


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return time.time()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
