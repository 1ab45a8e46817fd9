"""Fix-loop prompts, tools and reply parsing; file references from stack frames."""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import replace

import pytest

from bot.debug.core.edits import EditKind
from bot.debug.core.prompts import (FINAL_TOOL, MAX_DIR_ENTRIES, REQUIREMENT_DOCS, TOOLS, Final, assistant_message,
                                   check_call, dir_result, feedback_message, file_result, fix_messages, parse_final,
                                   requirements_result, search_result, tool_result)
from bot.debug.core.records import Result
from bot.debug.core.stack import FileRef, files_from_stack, resolve_refs, window
from bot.llm.reply import Reply, ToolCall
from bot.llm.usage import estimate_tokens
from bot.config.skills import load_skill
from bot.triage import triage
from tests.conftest import shared_path
from tests.debugging.conftest import T0, attempt, fixing

PYTEST_LOG = b"""============================= test session starts ==============================
collected 2 items

tests/test_calc.py F.                                                    [100%]

=================================== FAILURES ===================================
___________________________________ test_add ___________________________________

    def test_add():
>       assert add(2, 3) == 5
E       assert -1 == 5
E        +  where -1 = add(2, 3)

tests/test_calc.py:4: AssertionError
=========================== short test summary info ============================
FAILED tests/test_calc.py::test_add - assert -1 == 5
========================= 1 failed, 1 passed in 0.03s ==========================
"""
CALC = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n"
TEST = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


def _prompt_tokens(messages) -> int:
    """Prompt size as the LLM client estimates it, tool definitions included."""
    return estimate_tokens(json.dumps(messages) + json.dumps(TOOLS))


def test_fix_messages_hold_the_run_the_excerpt_and_the_code():
    result = triage(PYTEST_LOG)
    skill = load_skill("auto_debug").instructions
    messages = fix_messages(skill, fixing(), result, {"src/calc.py": CALC, "tests/test_calc.py": TEST},
                            {"testCase.md": "add(2, 3) must be 5"}, [])
    system, user = messages[0]["content"], messages[1]["content"]
    assert system.startswith(skill.strip()) and "propose_edits" in system
    assert "repo alice/calc, workflow .gitea/workflows/ci.yml, run #12, branch feature/add (base main)" in user
    assert result.excerpt in user and "E       assert -1 == 5" in user
    assert "## tests/test_calc.py\n```\n   1| from calc import add" in user
    assert "## src/calc.py\n```\n   1| def add(a, b):\n   2|     return a - b" in user
    assert "# Requirements\n## testCase.md\nadd(2, 3) must be 5" in user
    assert "Earlier attempts" not in user
    assert _prompt_tokens(messages) <= 2500


def test_previous_attempts_and_known_fixes_are_mentioned():
    s = attempt(fixing(), Result.RED, at=T0 + 10, note="still red: assert 6 == 5")
    messages = fix_messages("skill", s, triage(PYTEST_LOG), {}, {}, s.attempts)
    earlier = "# Earlier attempts (do not repeat them)\n- attempt 1: red: still red: assert 6 == 5"
    assert earlier in messages[1]["content"]
    known = replace(fixing(), known_fix="PR #9")
    assert "fixed before by PR #9" in fix_messages("skill", known, triage(PYTEST_LOG), {}, {}, [])[1]["content"]


def test_big_inputs_are_capped():
    big_file = "\n".join(f"line {n} " + "x" * 60 for n in range(1, 5000))
    excerpt_log = b"\n".join(b"E   error %d " % n + b"y" * 300 for n in range(400)) + b"\nFAILED\n"
    files = {f"src/mod{n}.py": big_file for n in range(6)}
    docs = {name: "requirement text " * 2000 for name in REQUIREMENT_DOCS}
    messages = fix_messages(load_skill("auto_debug").instructions, fixing(), triage(excerpt_log), files, docs, [])
    user = messages[1]["content"]
    assert "(read_requirements for the rest)" in user and "… (cut)" in user
    assert _prompt_tokens(messages) <= 6000


def test_secrets_in_the_excerpt_never_reach_the_model():
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    result = triage(b"Run tests\nexport GITHUB_TOKEN=" + token.encode() + b"\nError: request failed: 401\nFAILED\n")
    messages = fix_messages("skill", fixing(), result, {}, {}, [])
    assert token not in json.dumps(messages)


def test_prompt_tokens_over_the_triage_dev_cases():
    """p95 of the estimated prompt tokens per diagnosis stays within the 6,000-token goal."""
    root = shared_path("bench", "triage", "cases")
    skill = load_skill("auto_debug").instructions
    sizes = []
    for case in sorted(root.iterdir())[::4]:  # every fourth case keeps the suite quick
        log = gzip.decompress((case / "failed.log.gz").read_bytes())
        sizes.append(_prompt_tokens(fix_messages(skill, fixing(), triage(log), {}, {}, [])))
    sizes.sort()
    assert sizes[math.ceil(0.95 * len(sizes)) - 1] <= 6000


def test_tools_are_openai_functions_with_a_final_tool():
    names = [t["function"]["name"] for t in TOOLS]
    assert names == ["read_file", "list_dir", "search_code", "get_excerpt", "read_requirements", FINAL_TOOL]
    assert all(t["type"] == "function" and t["function"]["parameters"]["type"] == "object" for t in TOOLS)


@pytest.mark.parametrize("name, arguments, problem", [
    ("read_file", {"path": "src/calc.py"}, ""),
    ("list_dir", {}, ""),
    ("get_excerpt", {}, ""),
    ("read_requirements", {"name": "prd.md"}, ""),
    (FINAL_TOOL, {"edits": []}, ""),
    ("read_file", {}, "read_file: missing argument path"),
    ("search_code", {"query": 3}, "search_code: missing argument query"),
    ("read_requirements", {"name": "secrets.md"}, "name must be one of prd.md, techDoc.md, testCase.md"),
    ("run_shell", {"cmd": "ls"}, "unknown tool 'run_shell'"),
])
def test_check_call(name, arguments, problem):
    found = check_call(ToolCall("c1", name, arguments))
    assert found == problem if not problem else problem in found


def test_assistant_and_tool_messages():
    call = ToolCall("call_1", "read_file", {"path": "src/calc.py"})
    message = assistant_message(Reply(text="", tool_calls=(call,)))
    assert message == {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function",
                       "function": {"name": "read_file", "arguments": '{"path": "src/calc.py"}'}}]}
    assert assistant_message(Reply(text="thinking")) == {"role": "assistant", "content": "thinking"}
    assert tool_result(call, "password=hunter22 <!-- hidden -->") == {
        "role": "tool", "tool_call_id": "call_1", "content": "password=[REDACTED] "}
    assert feedback_message("hunk 1 does not apply")["content"].startswith("hunk 1 does not apply\n\nPropose")


def test_file_result_is_numbered_and_bounded():
    assert file_result("src/calc.py", CALC).splitlines()[:3] == [
        "src/calc.py (lines 1-6 of 6)", "   1| def add(a, b):", "   2|     return a - b"]
    assert file_result("src/calc.py", CALC, start_line=5).splitlines()[1] == "   5| def sub(a, b):"
    cut = file_result("big.txt", "\n".join("x" * 50 for _ in range(100)), max_chars=500)
    assert len(cut) < 700 and cut.endswith("call read_file with start_line=9 for more")
    assert file_result("nope.py", None) == "nope.py: no such file at the failing commit"
    assert file_result("empty.py", "") == "empty.py (lines 1-0 of 0)"


def test_dir_search_and_requirement_results_are_bounded():
    entries = [f"f{n:04}.py" for n in range(MAX_DIR_ENTRIES + 5)]
    listing = dir_result("src", entries)
    assert listing.startswith("src/: f0000.py") and listing.endswith("… 5 more")
    assert dir_result("", []) == "./: (empty)"
    hits = [("src/a.py", n, f"  match {n}  ") for n in range(25)]
    found = search_result("match", hits)
    assert found.splitlines()[0] == "src/a.py:0: match 0" and found.endswith("… 5 more; narrow the query")
    assert search_result("x", []) == "no matches for 'x'"
    assert requirements_result("prd.md", None) == "prd.md: the repository has no such requirement document"
    assert requirements_result("prd.md", "abc" * 10, max_chars=5) == "abcab\n… (cut)"
    assert requirements_result("prd.md", "short") == "short"


def test_parse_final_from_the_tool_call():
    args = {"diagnosis": "add subtracts", "commit_message": "fix(calc): add adds", "confidence": "high",
            "edits": [{"path": "src/calc.py", "search": "return a - b\n\n\ndef sub",
                       "replace": "return a + b\n\n\ndef sub"}]}
    final, errors = parse_final(Reply(text="", tool_calls=(ToolCall("c", FINAL_TOOL, args),)))
    assert errors == [] and final.diagnosis == "add subtracts" and final.commit_message == "fix(calc): add adds"
    assert final.confidence == "high" and final.edits[0].kind is EditKind.REPLACE


def test_parse_final_from_text_json_or_diff():
    final, errors = parse_final(Reply(text='```json\n{"diagnosis": "runner out of disk", "edits": []}\n```'))
    assert (final, errors) == (Final("runner out of disk", ()), [])
    diff = ("The sign is wrong.\n```diff\n--- a/src/calc.py\n+++ b/src/calc.py\n"
            "@@ -2 +2 @@\n-    return a - b\n+    return a + b\n```")
    final, errors = parse_final(Reply(text=diff))
    assert errors == [] and final.diagnosis == "The sign is wrong." and final.edits[0].path == "src/calc.py"


@pytest.mark.parametrize("reply, message", [
    (Reply(text="I am not sure."), "no final answer: call propose_edits"),
    (Reply(text='{"edits": [{"path": "/etc/passwd", "search": "", "replace": "x"}]}'), "edits[0].path: invalid path"),
    (Reply(text="--- a/x.py\n+++ b/y.py\n@@ -1 +1 @@\n-a\n+b\n"), "renames are not supported"),
])
def test_parse_final_errors(reply, message):
    final, errors = parse_final(reply)
    assert final is None and message in errors[0]


# --- stack frames ------------------------------------------------------------------------------------

@pytest.mark.parametrize("excerpt, refs", [
    (' 3 |   File "/home/runner/work/calc/calc/src/calc.py", line 12, in add\n'
     ' 4 |   File "/usr/lib/python3.11/site-packages/x/y.py", line 3, in f',
     [FileRef("/home/runner/work/calc/calc/src/calc.py", 12, partial=True)]),
    ("tests/test_calc.py:4: AssertionError\nFAILED tests/test_calc.py::test_add - assert -1 == 5",
     [FileRef("tests/test_calc.py", 4), FileRef("tests/test_calc.py")]),
    ("    at add (/work/app/src/calc.js:10:5)\n    at Object.<anonymous> (node_modules/jest/x.js:1:1)\n"
     "    at ./test/calc.test.ts:22:7",
     [FileRef("/work/app/src/calc.js", 10, partial=True), FileRef("test/calc.test.ts", 22)]),
    ("    calc_test.go:12: Add(2, 3) = -1, want 5\n\t/usr/local/go/src/testing/testing.go:1576 +0x10b",
     [FileRef("calc_test.go", 12)]),
    ("\tat com.example.calc.Calc.add(Calc.java:7)\n\tat java.base/jdk.internal.Foo.bar(Foo.java:1)",
     [FileRef("com/example/calc/Calc.java", 7, partial=True)]),
    ("\tat org.junit.Assert.fail(Assert.java:89)\n\tat Calc.add(Calc.java:3)", [FileRef("Calc.java", 3, partial=True)]),
    ("error[E0308]: mismatched types\n  --> src/lib.rs:2:5\nthread 'tests::adds' panicked at src/lib.rs:11:9:",
     [FileRef("src/lib.rs", 2), FileRef("src/lib.rs", 11)]),
    ("C:\\a\\src\\calc.py:3: error", [FileRef("C:/a/src/calc.py", 3, partial=True)]),
    ("no files here, only 12:30 and v1.2:3", []),
])
def test_files_from_stack(excerpt, refs):
    assert files_from_stack(excerpt) == refs


def test_files_from_stack_dedupes_and_caps():
    excerpt = "\n".join(f"src/m{n % 20}.py:{n % 20}: E" for n in range(100))
    refs = files_from_stack(excerpt)
    assert len(refs) == 12 and len(set(refs)) == 12


def test_resolve_refs_matches_the_tree():
    tree = ["src/calc.py", "tests/test_calc.py", "src/main/java/com/example/calc/Calc.java", "a/util.py", "b/util.py"]
    refs = [FileRef("/home/runner/work/calc/calc/src/calc.py", 12, partial=True), FileRef("tests/test_calc.py", 4),
            FileRef("com/example/calc/Calc.java", 7, partial=True), FileRef("util.py", 1), FileRef("gone.py", 1),
            FileRef("src/calc.py", 12)]
    assert resolve_refs(refs, tree) == [FileRef("src/calc.py", 12), FileRef("tests/test_calc.py", 4),
                                        FileRef("src/main/java/com/example/calc/Calc.java", 7)]


def test_window_numbers_lines_around_the_named_ones():
    text = "\n".join(f"l{n}" for n in range(1, 101))
    shown = window(text, [10, 12, 90], radius=2)
    assert shown.splitlines() == ["…", *(f"{n:>4}| l{n}" for n in range(8, 15)), "…",
                                  *(f"{n:>4}| l{n}" for n in range(88, 93)), "…"]
    assert window("a\nb", []) == "   1| a\n   2| b"
    assert window("a\nb", [7]) == ""
    assert window(text, [], max_chars=30) == "   1| l1\n   2| l2\n   3| l3\n… (cut)"


def test_empty_files_are_left_out_of_the_code_section():
    user = fix_messages("skill", fixing(), triage(PYTEST_LOG), {"src/__init__.py": "", "src/calc.py": CALC}, {}, [])
    assert "## src/__init__.py" not in user[1]["content"] and "## src/calc.py" in user[1]["content"]
