"""Plan blocks count only when signed with the server's key; unsigned ones only from before the upgrade."""

from __future__ import annotations

import re

from bot.plan.core.embed import embed, extract, latest_plan
from tests.planning.conftest import make_plan

KEY = b"k" * 32


def _plan():
    return make_plan()


def test_signed_blocks_verify_and_forged_ones_do_not():
    block = embed(_plan(), 3, secret=KEY)
    assert extract(block, secret=KEY)[1] == 3
    assert extract(block, secret=b"other" * 8) is None
    assert extract(re.sub(r"v=3", "v=9", block), secret=KEY) is None  # the version is signed too
    assert extract(embed(_plan(), 3), secret=KEY) is None  # unsigned


def test_unsigned_blocks_only_from_the_bot_and_before_the_upgrade():
    old, forged = embed(_plan(), 1), embed(_plan(), 7)
    comments = [("teabot", old, "2026-01-01T00:00:00Z"), ("teabot", forged, "2026-03-01T00:00:00Z"),
                ("mallory", embed(_plan(), 9, secret=b"guess" * 7), "2026-01-01T00:00:00Z")]
    assert latest_plan(comments, author="teabot", secret=KEY, signed_since="2026-02-01T00:00:00Z")[1] == 1
    assert latest_plan(comments, author="teabot", secret=KEY) is None
    signed = ("teabot", embed(_plan(), 4, secret=KEY), "2026-03-02T00:00:00Z")
    assert latest_plan([*comments, signed], author="teabot", secret=KEY, signed_since="2026-02-01")[1] == 4
