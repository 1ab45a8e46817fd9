"""detect-secrets' regex detectors from the pattern cache find exactly what the library finds, without importing it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.security.secret_plugins import detectors, library_sources

SAMPLES = [
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "token ghp_" + "a1B2" * 9,
    "slack xoxb-" + "1234567890-" * 2 + "abcdefghijKLMNOPqrstuvwx",
    "stripe sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "npm //registry.npmjs.org/:_authToken=npm_" + "A" * 36,
    "https://user:hunter2hunter2@example.com/x",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
    "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=" + "Zm9vYmFy" * 8 + "==",
    "nothing to see here: build 1234 passed",
]


def library_findings(text: str) -> list[tuple[str, str]]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    classes = {cls.__name__: cls for cls in get_mapping_from_secret_type_to_class().values()}
    return sorted((name, found) for name, _ in library_sources() for found in classes[name]().analyze_string(text))


def test_the_cached_detectors_find_what_the_library_finds(tmp_path: Path) -> None:
    detectors(tmp_path)  # writes the cache
    assert list(tmp_path.glob("detect-secrets-*.json"))
    cached = detectors(tmp_path)  # read from it
    for text in SAMPLES:
        assert sorted((d.name, found) for d in cached for found in d.analyze_string(text)) == library_findings(text)


def test_a_process_with_the_cache_does_not_import_the_library(tmp_path: Path) -> None:
    code = ("import sys; from bot.security.secrets import find; find('AKIAIOSFODNN7EXAMPLE'); "
            "print('detect_secrets' in sys.modules)")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert (first.stdout.strip(), second.stdout.strip()) == ("True", "False")


def test_a_corrupt_or_unwritable_cache_falls_back_to_the_library(tmp_path: Path) -> None:
    detectors(tmp_path)
    for path in tmp_path.glob("detect-secrets-*.json"):
        path.write_text("{not json")
    assert [d.name for d in detectors(tmp_path)] == [name for name, _ in library_sources()]
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert detectors(blocked / "sub")  # cannot be written under a file: still works
