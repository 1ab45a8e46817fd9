"""Fixtures for the harness tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.devtools.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 that records every delivery."""
    rec = Receiver()
    yield rec
    rec.close()
