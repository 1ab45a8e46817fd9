"""The plan hidden in the bot's comment: round trip, edits, damage, forgery."""

from __future__ import annotations

import base64
import json
import zlib

from bot.plan.core.embed import embed, extract, latest_plan, strip_block
from bot.plan.core.model import Plan
from bot.plan.core.render import render_blueprint
from tests.planning.conftest import make_plan, plan_data


def _comment(plan: Plan, version: int, **kw: object) -> str:
    return render_blueprint(plan, version=version) + "\n" + embed(plan, version, **kw)


def test_round_trip_and_hidden_from_display(plan: Plan) -> None:
    block = embed(plan, 3)
    assert block.startswith("<!-- teabot:plan v=3 schema=2 sum=") and block.endswith(" -->") and "--" not in block[4:-3]
    assert extract(_comment(plan, 3)) == (plan, 3)


def test_edits_to_the_visible_part_do_not_matter(plan: Plan) -> None:
    edited = _comment(plan, 2).replace("### Vision", "### Our vision (edited by a human)")
    assert extract("Prefix text\r\n" + edited + "\nfooter") == (plan, 2)
    wrapped = embed(plan, 2).replace("data=", "data=\n")
    assert extract(wrapped) == (plan, 2)


def test_damaged_or_missing_blocks_are_ignored(plan: Plan) -> None:
    block = embed(plan, 1)
    data = block.split("data=")[1][:-4]
    assert extract("no block here") is None
    assert extract(block.replace(data, data[:-8] + "AAAAAAAA")) is None  # checksum mismatch
    bad = base64.b64encode(b"not zlib").decode()
    assert extract(_forge(1, bad)) is None
    invalid = base64.b64encode(zlib.compress(json.dumps({"features": []}).encode())).decode()
    assert extract(_forge(1, invalid)) is None


def _forge(version: int, data: str) -> str:
    import hashlib

    return f"<!-- teabot:plan v={version} sum={hashlib.sha256(data.encode()).hexdigest()[:16]} data={data} -->"


def test_last_intact_block_wins(plan: Plan) -> None:
    other = make_plan({**plan_data(), "pi_vision": "Other."})
    assert extract(embed(plan, 1) + "\n" + embed(other, 2)) == (other, 2)
    assert extract(embed(plan, 1) + "\n" + embed(other, 2).replace("sum=", "sum=0")) == (plan, 1)


def test_signed_blocks_need_the_secret(plan: Plan) -> None:
    signed = embed(plan, 4, secret=b"s3cret")
    assert " sig=" in signed
    assert extract(signed, secret=b"s3cret") == (plan, 4)
    assert extract(signed) == (plan, 4)
    assert extract(signed, secret=b"other") is None
    assert extract(embed(plan, 4), secret=b"s3cret") is None  # an unsigned (pasted) block


def test_latest_plan_only_trusts_the_bot_author(plan: Plan) -> None:
    newer = make_plan({**plan_data(), "pi_vision": "Newer."})
    fake = make_plan({**plan_data(), "pi_vision": "Forged by a human."})
    comments = [("teabot", _comment(plan, 1)), ("mallory", embed(fake, 99)), ("teabot", _comment(newer, 2)),
                ("teabot", "thanks!"), ("alice", "/plan add a mobile client")]
    assert latest_plan(comments, author="teabot") == (newer, 2)
    assert latest_plan(comments, author="nobody") is None


def test_strip_block(plan: Plan) -> None:
    assert strip_block("Visible\n\n" + embed(plan, 1)) == "Visible\n"


def _old_block(data: dict, version: int) -> str:
    """A block as teabot wrote it before the schema field (schema 1: dependencies read backwards)."""
    import base64
    import hashlib
    import json
    import zlib

    raw = base64.b64encode(zlib.compress(json.dumps(data).encode(), 9)).decode()
    return f"<!-- teabot:plan v={version} sum={hashlib.sha256(raw.encode()).hexdigest()[:16]} data={raw} -->"


def test_schema_1_blocks_are_converted_on_read() -> None:
    new = make_plan()
    old = new.to_dict()
    # schema 1 stored "source depends on target": the same plan had every dependency's ends swapped
    old["dependencies"] = [{**d, "source_id": d["target_id"], "target_id": d["source_id"]} for d in old["dependencies"]]
    found = extract(_old_block(old, 4))
    assert found is not None
    assert found == (new, 4)
    assert found[0].dependencies[0].first == "ENAB_DB_001"  # the enabler is done first, as before


def test_unknown_future_schema_is_ignored() -> None:
    block = embed(make_plan(), 2).replace("schema=2", "schema=9")
    assert extract(block) is None
