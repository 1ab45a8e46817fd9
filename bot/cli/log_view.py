"""Reading a large log file for `teabot triage --log`: its two halves scanned at once, on two cores.

The scan (`bot.triage.reading`) is a handful of C-speed passes over every byte; a 100 MB log
takes about a third of a second of one core. On a machine with two or more cores and a log of at
least PARALLEL_BYTES, a forked child scans the first half while this process scans the second,
and `reading.merge` joins the two into exactly the view a single pass gives (the merge says when
it cannot, and the file is then read in one pass). Streams (`--log -`) and small files are read
in one pass, as is everything on a system without `fork`.
"""

from __future__ import annotations

import os
import pickle
from typing import BinaryIO

from bot.triage.reading import LogView, Part, merge, read_part, read_view

PARALLEL_BYTES = 32 << 20


class _Range:
    """A file read from its current position up to byte `end`."""

    def __init__(self, file: BinaryIO, end: int) -> None:
        self.file, self.end = file, end

    def read(self, size: int = -1) -> bytes:
        left = self.end - self.file.tell()
        return self.file.read(left if size < 0 else min(size, left)) if left > 0 else b""


def read_file_view(path: str, *, parallel_bytes: int = PARALLEL_BYTES) -> LogView:
    """The triage view of the log file at `path` (OSError when it cannot be read)."""
    size = os.path.getsize(path)
    if size < parallel_bytes or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return _serial(path)
    with open(path, "rb") as file:
        file.seek(size // 2)
        file.readline()  # the halves meet at a line's start
        middle = file.tell()
    if middle >= size:
        return _serial(path)
    first = _first_half(path, middle)
    with open(path, "rb") as file:
        file.seek(middle)
        second = read_part(_Range(file, size), last=True)
    found = first() if first is not None else None
    merged = merge(found, second) if found is not None else None
    return merged if merged is not None else _serial(path)


def _serial(path: str) -> LogView:
    with open(path, "rb") as file:
        return read_view(file)


def _first_half(path: str, middle: int):  # type: ignore[no-untyped-def]
    """Fork a child that scans bytes [0, middle); returns a function that waits for its Part (None if it failed)."""
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: scan, send, and leave without running the parent's exit handlers
        code = 1
        try:
            os.close(read_end)
            with open(path, "rb") as file, os.fdopen(write_end, "wb") as out:
                pickle.dump(read_part(_Range(file, middle), last=False), out, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)

    def wait() -> Part | None:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            return None
        part = pickle.loads(data)  # our own child's answer
        return part if isinstance(part, Part) else None

    return wait
