"""detect-secrets' regex detectors, loaded without importing detect-secrets in every process.

Importing detect-secrets (its settings, its `requests`-based verifiers) costs about 0.1 s, more
than a whole `grep` over a 100 MB log, and every `teabot triage` and Actions step is a new
process. A regex detector is nothing but its `denylist` and the library's `analyze_string` loop
(`RegexBasedDetector.analyze_string`: every group of every `findall` match), so the first process
reads the patterns from the library and keeps their sources in a cache file keyed by the installed
library's files; later processes compile them from there. The library stays the source of the
patterns: an upgrade changes the key and the cache is made again. Detectors that override
`analyze_string` (detect-secrets' JWT check) are left out; `bot.security.secrets` has its own JWT
pattern.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

Sources = list[tuple[str, list[tuple[str, int]]]]  # (detector class, [(pattern, flags)])
SKIPPED = ("IPPublicDetector",)  # IP addresses are not secrets


@dataclass(frozen=True)
class RegexDetector:
    """One detect-secrets regex detector: its name and compiled denylist."""

    name: str
    denylist: tuple[re.Pattern[str], ...]

    def analyze_string(self, text: str) -> Iterator[str]:
        """What detect-secrets' `RegexBasedDetector.analyze_string` yields for `text`."""
        for regex in self.denylist:
            for match in regex.findall(text):
                if isinstance(match, tuple):
                    yield from filter(None, match)
                else:
                    yield match


def detectors(cache_dir: Path | None = None) -> tuple[RegexDetector, ...]:
    """The library's regex detectors, from the cache when it matches the installed library."""
    key = library_key()
    path = (cache_dir or default_cache_dir()) / f"detect-secrets-{key}.json"
    sources = _read(path) if key else None
    if sources is None:
        sources = library_sources()
        if key:
            _write(path, sources)
    return tuple(RegexDetector(name, tuple(re.compile(p, f) for p, f in patterns)) for name, patterns in sources)


def library_sources() -> Sources:
    """The pattern sources of detect-secrets' regex detectors, read from the library (imports it)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    found: Sources = []
    for cls in get_mapping_from_secret_type_to_class().values():
        if not issubclass(cls, RegexBasedDetector) or cls.__name__ in SKIPPED:
            continue
        if cls.analyze_string is not RegexBasedDetector.analyze_string:
            continue  # its own logic beyond the patterns: not reproducible from them
        found.append((cls.__name__, [(p.pattern, p.flags) for p in cls().denylist]))
    return sorted(found)


def library_key() -> str:
    """A digest of the installed detect-secrets' plugin files (names, sizes, times), or "" when not found."""
    spec = importlib.util.find_spec("detect_secrets")
    if spec is None or not spec.submodule_search_locations:
        return ""
    plugins = Path(next(iter(spec.submodule_search_locations))) / "plugins"
    try:
        stats = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in plugins.glob("*.py"))
    except OSError:
        return ""
    return hashlib.sha256(json.dumps([str(plugins), stats]).encode()).hexdigest()[:16]


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/teabot`, else `~/.cache/teabot`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "teabot"


def _read(path: Path) -> Sources | None:
    try:
        data = json.loads(path.read_text())
        return [(str(name), [(str(p), int(f)) for p, f in patterns]) for name, patterns in data]
    except (OSError, ValueError, TypeError):
        return None  # absent, unreadable or not ours: made again


def _write(path: Path, sources: Sources) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(sources))
        partial.replace(path)  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError:
        pass  # a read-only home: every process reads the library, as before
