"""What tests look like in source text: test cases, skip markers, assertions and tautologies, by language.

Counts run over code only: full-line comments, block comments and Python triple-quoted strings are
blanked first, so commenting a test out or wrapping it in a string counts as removing it.
"""

from __future__ import annotations

import re
from collections import Counter

from bot.debug.core.paths import is_test_path, language

_BLOCKS = re.compile(r'"""[\s\S]*?(?:"""|\Z)|\'\'\'[\s\S]*?(?:\'\'\'|\Z)|/\*[\s\S]*?(?:\*/|\Z)')
_LINE_COMMENT = re.compile(r"^\s*(?:#(?!\[)|//|\*)")  # `#[test]` in Rust is code, not a comment

_TESTS = {
    "python": re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(test\w*)[ \t]*\(", re.M),
    "go": re.compile(r"^func[ \t]+(Test\w*)[ \t]*\(", re.M),
    "js": re.compile(r"(?<![\w.$])(?:it|test)[ \t]*\([ \t]*(?:(['\"`])(.*?)\1)?"),
    "java": re.compile(r"@(?:Test|ParameterizedTest|RepeatedTest|TestFactory)\b[^{;]*?\b(\w+)\s*\("),
    "rust": re.compile(r"#\[(?:[\w:]+::)?test(?:\([^)]*\))?\][^{;]*?\bfn\s+(\w+)"),
    "ruby": re.compile(r"^[ \t]*(?:it|specify|test)[ \t]+(['\"])(.*?)\1|^[ \t]*def[ \t]+(test_\w+)", re.M),
    "csharp": re.compile(r"\[(?:Test|Fact|Theory|TestMethod|TestCase[^\]]*)\][^{;]*?\b(\w+)\s*\("),
}

SKIP = re.compile(
    r"pytest\.mark\.(?:skip|skipif|xfail)\b|\bpytest\.(?:skip|xfail|importorskip)\s*\(|@?unittest\.skip\w*"
    r"|@(?:unittest\.)?expectedFailure\b|\bself\.skipTest\s*\(|\b(?:it|test|describe|context)\.(?:skip|only|todo)\b"
    r"|(?<![\w.$])(?:xit|xtest|xdescribe|xcontext|fit|fdescribe)\s*\(|\bt\.Skip(?:f|Now)?\s*\(|#\[ignore\b"
    r"|@(?:Disabled|Ignore)\b|\[(?:Ignore|Skip)\b"
)
ASSERTION = re.compile(
    r"\b(?:assert|require)\.\w+\s*\(|\bassert[A-Z_]\w*!?\s*\(|\b(?:debug_)?assert!\s*\(|(?<![\w.])assert\b"
    r"|\bexpect\s*\(|\bt\.(?:Error|Errorf|Fatal|Fatalf|Fail|FailNow)\s*\(|\bpytest\.raises\s*\("
    r"|\bself\.fail\s*\(|(?<![\w.])fail\s*\(|\.should\b|\bAssert\.\w+\s*\("
)
_EQUALITY = (r"(?:assertEquals?|assertSame|assert_eq!|assert\.(?:equal|strictEqual|deepEqual|deepStrictEqual|Equal)"
             r"|require\.Equal|Assert\.(?:AreEqual|Equal))")
TAUTOLOGY = [
    re.compile(r"^assert\s+\(?\s*(?:True|1|not\s+(?:False|None|0))\s*\)?\s*(?:,|$)"),
    re.compile(r"^assert\s+(.+?)\s*(?:==|\bis\b|>=|<=)\s*\1\s*(?:,.*)?$"),
    re.compile(r"\bassert\b.*\bor\s+True\b|\b(?:assert|expect)\b.*\|\|\s*true\b"),
    re.compile(r"\b(?:assert|assertTrue|assert\.ok|assert\.isTrue|assert\.True|require\.True|assert!|Assert\.True"
               r"|Assert\.IsTrue)\s*\(\s*(?:t\s*,\s*)?(?:true|True|1)\s*[,)]"),
    re.compile(r"\b" + _EQUALITY + r"\s*\(\s*(?:t\s*,\s*)?([^,]+?)\s*,\s*\1\s*[,)]"),
    re.compile(r"\bexpect\s*\(\s*(.+?)\s*\)\s*\.\s*(?:toBe|toEqual|toStrictEqual|to\.equal|to\.eql)\s*\(\s*\1\s*\)"),
    re.compile(r"\bexpect\s*\(\s*(?:true|1)\s*\)\s*\.\s*(?:toBe\s*\(\s*true\s*\)|toBeTruthy\s*\(|to\.be\.(?:true|ok))"),
    re.compile(r"\bassertThat\s*\(\s*(.+?)\s*\)\s*\.\s*isEqualTo\s*\(\s*\1\s*\)"),
]
DESELECT = re.compile(
    r"--deselect\b|--ignore(?:-glob)?\b|(?<![\w-])-k\s*=?\s*[\"']?[^\"'\n]*\bnot\b|\bcollect_ignore(?:_glob)?\b"
    r"|\b(?:testPathIgnorePatterns|modulePathIgnorePatterns)\b|\bnorecursedirs\b"
)


def code_lines(text: str) -> list[str]:
    """The stripped, non-blank lines of `text` that are code (comments and block strings blanked)."""
    blanked = _BLOCKS.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    return [line.strip() for line in blanked.splitlines() if line.strip() and not _LINE_COMMENT.match(line)]


def holds_tests(path: str, text: str | None) -> bool:
    """True when the file is a test file by path, or (Rust) carries inline `#[test]` functions."""
    if is_test_path(path):
        return True
    return bool(text) and language(path) == "rust" and bool(_TESTS["rust"].search(text or ""))


def test_names(path: str, text: str) -> Counter[str]:
    """The test cases the file defines, by name (unnamed JS cases as "<unnamed>")."""
    pattern = _TESTS.get(language(path))
    if pattern is None:
        return Counter()
    code = "\n".join(code_lines(text))
    return Counter(_name(match) for match in pattern.finditer(code))


def _name(match: re.Match[str]) -> str:
    named = [group for group in match.groups() if group and group not in ("'", '"', "`")]
    return named[-1] if named else "<unnamed>"


def count(pattern: re.Pattern[str], lines: list[str]) -> int:
    """How many times `pattern` occurs in the lines."""
    return sum(len(pattern.findall(line)) for line in lines)


def is_tautology(line: str) -> bool:
    """True for an assertion that cannot fail (`assert True`, `assertEqual(x, x)`, `… or True`)."""
    return any(pattern.search(line) for pattern in TAUTOLOGY)
