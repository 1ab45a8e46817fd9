"""Edits from model replies: parsing both forms, applying cleanly, refusing what does not apply."""

from __future__ import annotations

import json

import pytest

from bot.debug.core.diffs import apply_hunks, parse_diff, parse_hunks
from bot.debug.core.edits import Edit, EditKind, apply_edits, diff_text, load_json, parse_edits, snippet, touched_paths
from bot.debug.core.paths import PathError, normalise_path

CALC = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n"
FILES = {"src/calc.py": CALC, "README.md": "# calc\n"}

DIFF = """--- a/src/calc.py
+++ b/src/calc.py
@@ -1,3 +1,3 @@
 def add(a, b):
-    return a - b
+    return a + b
 
"""


def _apply(reply: str, files=FILES):
    edits, errors = parse_edits(reply)
    assert errors == []
    return apply_edits(files, edits)


# --- paths -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("src/calc.py", "src/calc.py"), ("./src//calc.py", "src/calc.py"), ("src\\calc.py", "src/calc.py"),
    ("  docs/a.md ", "docs/a.md"), (".gitea/workflows/ci.yml", ".gitea/workflows/ci.yml"), (".gitignore", ".gitignore"),
])
def test_normalise_path_accepts(raw, expected):
    assert normalise_path(raw) == expected


@pytest.mark.parametrize("raw, reason", [
    ("", "empty"), ("a\x00b", "NUL"), ("/etc/passwd", "absolute"), ("C:\\x.py", "absolute"),
    ("../x.py", "'..'"), ("src/../../x", "'..'"), (".git/config", ".git/"), ("sub/.git/hooks/pre-commit", ".git/"),
    ("./", "names no file"),
])
def test_normalise_path_rejects(raw, reason):
    with pytest.raises(PathError, match=reason):
        normalise_path(raw)


# --- search/replace ----------------------------------------------------------------------------------

def test_search_replace_applies_once():
    reply = json.dumps({"edits": [{"path": "src/calc.py", "search": "def add(a, b):\n    return a - b",
                                   "replace": "def add(a, b):\n    return a + b"}]})
    new, errors = _apply(reply)
    assert errors == []
    assert new == {"src/calc.py": CALC.replace("return a - b", "return a + b", 1)}


def test_empty_search_creates_a_new_file_and_delete_removes_one():
    reply = json.dumps({"edits": [{"path": "src/new.py", "search": "", "replace": "X = 1\n"},
                                  {"path": "README.md", "delete": True}]})
    new, errors = _apply(reply)
    assert (new, errors) == ({"src/new.py": "X = 1\n", "README.md": None}, [])


def test_edits_on_one_file_apply_in_order():
    reply = json.dumps({"edits": [{"path": "src/calc.py", "search": "def add(a, b):\n    return a - b",
                                   "replace": "def add(a, b):\n    return a + b"},
                                  {"path": "src/calc.py", "search": "return a - b", "replace": "return a - b  # ok"}]})
    new, _ = _apply(reply)
    assert new["src/calc.py"].count("return a + b") == 1 and "a - b  # ok" in new["src/calc.py"]


@pytest.mark.parametrize("edit, message", [
    ({"path": "src/calc.py", "search": "return a * b", "replace": "x"}, "search text not found: 'return a * b'"),
    ({"path": "src/calc.py", "search": "return a - b", "replace": "x"}, "occurs 2 times: 'return a - b'"),
    ({"path": "src/calc.py", "search": "", "replace": "x"}, "already exists"),
    ({"path": "src/missing.py", "search": "a", "replace": "b"}, "does not exist"),
    ({"path": "src/missing.py", "delete": True}, "cannot delete"),
])
def test_edits_that_do_not_apply_name_the_path_and_a_snippet(edit, message):
    new, errors = _apply(json.dumps({"edits": [edit]}))
    assert new == {}
    assert len(errors) == 1 and errors[0].startswith(f"edit 1 ({edit['path']}): ") and message in errors[0]


def test_one_failing_edit_applies_nothing_and_every_error_is_reported():
    reply = json.dumps({"edits": [{"path": "README.md", "search": "# calc", "replace": "# Calc"},
                                  {"path": "src/calc.py", "search": "nope", "replace": ""},
                                  {"path": "src/calc.py", "search": "nope either", "replace": ""}]})
    new, errors = _apply(reply)
    assert new == {} and [e[:6] for e in errors] == ["edit 2", "edit 3"]


def test_crlf_files_accept_lf_search_text():
    files = {"a.txt": "one\r\ntwo\r\nthree\r\n"}
    new, errors = _apply(json.dumps({"edits": [{"path": "a.txt", "search": "one\ntwo", "replace": "1\n2"}]}), files)
    assert (new, errors) == ({"a.txt": "1\r\n2\r\nthree\r\n"}, [])


def test_an_edit_that_changes_nothing_is_not_reported_as_a_change():
    new, errors = _apply(json.dumps({"edits": [{"path": "README.md", "search": "# calc", "replace": "# calc"}]}))
    assert (new, errors) == ({}, [])


# --- reply shapes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("reply, errors", [
    ('{"edits": [{"path": "../x", "search": "", "replace": ""}]}', ["edits[0].path: invalid path '../x'"]),
    ('{"edits": [{"search": "a", "replace": "b"}]}', ["edits[0].path: required"]),
    ('{"edits": [{"path": "a.py", "search": "a"}]}', ["edits[0]: needs 'search' and 'replace' strings"]),
    ('{"edits": ["a.py"]}', ["edits[0]: must be an object with a path, got str"]),
    ('{"edits": 3}', ["edits: must be a list of objects, got int"]),
    ("I could not find the cause.", ["reply: no edits found"]),
])
def test_malformed_replies_say_what_is_wrong(reply, errors):
    edits, found = parse_edits(reply)
    assert edits == []
    assert len(found) == len(errors) and all(f.startswith(e) for f, e in zip(found, errors))


def test_empty_edit_list_is_a_valid_answer():
    assert parse_edits('{"diagnosis": "runner ran out of disk", "edits": []}') == ([], [])


def test_json_is_found_fenced_or_amid_prose():
    assert load_json('Here:\n```json\n{"a": 1}\n```') == {"a": 1}
    assert load_json('The fix is {"a": 2} as shown') == {"a": 2}
    assert load_json("no json here") is None


def test_whole_diff_reply_fenced_or_bare():
    fenced = f"The subtraction is wrong.\n```diff\n{DIFF}```\n"
    assert _apply(fenced) == _apply(DIFF) == ({"src/calc.py": CALC.replace("a - b", "a + b", 1)}, [])
    assert diff_text("```\n" + DIFF + "```") == DIFF
    assert diff_text("```python\nprint(1)\n```") is None


def test_diff_under_patch_key_per_edit_with_or_without_headers():
    body = DIFF.split("\n", 2)[2]
    for patch in (DIFF, body):
        reply = json.dumps({"edits": [{"path": "src/calc.py", "patch": patch}]})
        assert _apply(reply) == ({"src/calc.py": CALC.replace("a - b", "a + b", 1)}, [])
    whole = json.dumps({"diagnosis": "x", "patch": DIFF})
    assert _apply(whole)[0] == {"src/calc.py": CALC.replace("a - b", "a + b", 1)}


@pytest.mark.parametrize("edit, message", [
    ({"path": "README.md", "patch": DIFF}, "edits[0].patch: patch names src/calc.py but the edit's path is README.md"),
    ({"path": "README.md", "patch": "just words"}, "edits[0].patch: the patch has no @@ hunk"),
])
def test_per_edit_patch_errors(edit, message):
    assert parse_edits(json.dumps({"edits": [edit]})) == ([], [message])


# --- unified diffs -----------------------------------------------------------------------------------

def test_multi_file_git_diff_creates_modifies_and_deletes():
    diff = ("diff --git a/src/calc.py b/src/calc.py\nindex 1..2 100644\n" + DIFF +
            "diff --git a/NEW.md b/NEW.md\nnew file mode 100644\n"
            "--- /dev/null\n+++ b/NEW.md\n@@ -0,0 +1,2 @@\n+hi\n+there\n"
            "--- a/README.md\n+++ /dev/null\n@@ -1 +0,0 @@\n-# calc\n")
    new, errors = _apply(diff)
    assert errors == []
    assert new == {"src/calc.py": CALC.replace("a - b", "a + b", 1), "NEW.md": "hi\nthere\n", "README.md": None}


def test_hunk_found_elsewhere_when_its_line_number_is_wrong_but_unique():
    diff = ("--- a/src/calc.py\n+++ b/src/calc.py\n"
            "@@ -40,2 +40,2 @@\n def sub(a, b):\n-    return a - b\n+    return a - b - 0\n")
    new, errors = _apply(diff)
    assert errors == [] and new["src/calc.py"].endswith("return a - b - 0\n")


@pytest.mark.parametrize("hunk, message", [
    ("@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a * b\n+    return a + b\n",
     "the file has no line '    return a * b'"),
    ("@@ -9,1 +9,1 @@\n-    return a - b\n+    return 0\n", "is ambiguous: its lines occur at lines 2, 6"),
    ("@@ -1,2 +1,2 @@\n def sub(a, b):\n-def add(a, b):\n+x\n",
     "not consecutive in the file, starting at 'def sub(a, b):'"),
    ("@@ -50,0 +51,1 @@\n+tail\n", "inserts after line 50, outside the file's remaining 6 lines"),
])
def test_hunks_that_do_not_apply_are_refused_with_the_reason(hunk, message):
    edits, _ = parse_edits(json.dumps({"edits": [{"path": "src/calc.py", "patch": hunk}]}))
    new, errors = apply_edits(FILES, edits)
    assert new == {} and len(errors) == 1 and errors[0].startswith("edit 1 (src/calc.py): hunk 1 (@@ -")
    assert message in errors[0]


def test_two_hunks_apply_in_order_and_overlap_is_refused():
    two = ("@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n"
           "@@ -5,2 +5,2 @@\n def sub(a, b):\n     return a - b\n")
    hunks, errors = parse_hunks(two)
    assert errors == [] and len(hunks) == 2
    assert apply_hunks(CALC, hunks) == (CALC.replace("a - b", "a + b", 1), "")
    overlap = ("@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return 1\n"
               "@@ -1,1 +1,1 @@\n-def add(a, b):\n+x\n")
    result, problem = apply_hunks(CALC, parse_hunks(overlap)[0])
    assert result is None and problem.startswith("hunk 2 ")


def test_no_newline_markers_and_bare_empty_context_lines():
    text = "a\n\nb"
    diff = "@@ -1,3 +1,3 @@\n a\n\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
    assert apply_hunks(text, parse_hunks(diff)[0]) == ("a\n\nc", "")
    stray = parse_hunks("@@ -1 +1 @@\n\\ No newline at end of file\n-x\n+y\n")[0]
    assert apply_hunks("x", stray) == ("y\n", "")
    # a context line after a final line without newline keeps the file well formed
    assert apply_hunks("x", parse_hunks("@@ -1,1 +1,2 @@\n x\n+y\n")[0]) == ("x\ny\n", "")


def test_trailing_blank_lines_after_a_hunk_are_not_context():
    diff = DIFF + "\n\n"
    patches, errors = parse_diff(diff)
    assert errors == [] and patches[0].hunks[0].old_lines() == ["def add(a, b):\n", "    return a - b\n", "\n"]


def test_hunk_header_without_counts_and_prose_between_files():
    diff = "Some words\n--- a/README.md\n+++ b/README.md\nindex line\n@@ -1 +1 @@\n-# calc\n+# Calc\nThanks!\n"
    assert _apply(diff) == ({"README.md": "# Calc\n"}, [])


@pytest.mark.parametrize("diff, message", [
    ("--- a/x.py\n+++ b/y.py\n@@ -1 +1 @@\n-a\n+b\n", "renames are not supported (x.py -> y.py)"),
    ("--- /dev/null\n+++ /dev/null\n@@ -0,0 +1 @@\n+a\n", "/dev/null on both sides"),
    ("--- a/../x.py\n+++ b/../x.py\n@@ -1 +1 @@\n-a\n+b\n", "'..' may not leave the repository"),
    ("--- a/x.py\n+++ b/x.py\nno hunks here\n", "x.py: the diff has a file header but no @@ hunk"),
    ("--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n@@ -2 +2 @@\n-a\n+b\n", "hunk '@@ -1 +1 @@' has no lines"),
    ("@@ -1 +1 @@\n-a\n+b\n", "the diff names no file"),
])
def test_diff_parse_errors(diff, message):
    patches, errors = parse_diff(diff)
    assert any(message in e for e in errors), errors


def test_creating_a_file_that_exists_is_refused_for_both_forms():
    diff = "--- /dev/null\n+++ b/README.md\n@@ -0,0 +1 @@\n+again\n"
    new, errors = apply_edits(FILES, parse_edits(diff)[0])
    assert new == {} and "already exists" in errors[0]
    assert apply_edits({}, [Edit("empty.txt", EditKind.PATCH, create=True)]) == ({"empty.txt": ""}, [])


def test_touched_paths_and_snippet():
    edits = [Edit("a.py"), Edit("b.py"), Edit("a.py")]
    assert touched_paths(edits) == ["a.py", "b.py"]
    assert snippet("\n\n   first line\nsecond") == "'first line'"
    assert snippet("x" * 100, limit=5) == "'xxxxx…'"
