"""What a Python test file asserts, read with `ast` so that re-spelling a cheat does not hide it.  PURE.

`facts(source)` lists the assertions that can still fail ("live"): an assertion inside a `try`
that swallows AssertionError, under `with suppress(...)`/`pytest.raises(AssertionError)`, after a
`return`/`raise`/skip in the same block, under `if False:` / `while 0:`, or one that is always true
(`assert x or 1`, `assert a == a`) is dead. It also counts skip references however imported
(`mark.skip`, `pytest.skip.Exception`, `unittest.SkipTest`), pytest hook definitions and patching.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field

SKIP_NAMES = frozenset({"skip", "skipif", "xfail", "importorskip", "skipTest", "SkipTest", "Skipped", "XFailed",
                        "expectedFailure", "skipIf", "skipUnless", "Skip", "pytestmark", "collect_ignore",
                        "collect_ignore_glob", "deselect"})
PATCH_NAMES = frozenset({"monkeypatch", "patch", "mocker", "setattr", "MagicMock", "Mock", "patch_object",
                         "mock_module", "sys_modules"})
_SWALLOWERS = frozenset({"AssertionError", "Exception", "BaseException", "suppress", "ExitStack"})


@dataclass(frozen=True)
class PytestFacts:
    """The live assertions of a file (by expression), and counts of skips, hooks and patches."""

    live: Counter[str] = field(default_factory=Counter)
    skips: int = 0
    hooks: int = 0
    patches: int = 0


def facts(source: str) -> PytestFacts | None:
    """The facts of a Python source text, or None when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    live: Counter[str] = Counter()
    _walk(tree.body, dead=False, live=live)
    names = [n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(tree) if isinstance(n, (ast.Name, ast.Attribute))]
    names += [a.asname or a.name.rsplit(".", 1)[-1] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names]
    hooks = sum(1 for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                and n.name.startswith("pytest_"))
    skips = sum(1 for n in names if n in SKIP_NAMES) + _string_marks(tree)
    return PytestFacts(live, skips, hooks, sum(1 for n in names if n in PATCH_NAMES))


def _string_marks(tree: ast.AST) -> int:
    """`getattr(pytest.mark, "skip")` and `"skip"` passed to `add_marker`: skip names in strings."""
    return sum(1 for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
               and n.value.strip() in SKIP_NAMES)


def _walk(body: list[ast.stmt], *, dead: bool, live: Counter[str]) -> None:
    for statement in body:
        _statement(statement, dead, live)
        if _ends_block(statement):
            dead = True  # what follows in this block never runs


def _statement(node: ast.stmt, dead: bool, live: Counter[str]) -> None:
    if isinstance(node, ast.Assert):
        if not dead and not _always_true(node.test):
            live[ast.dump(node.test)] += 1
    elif isinstance(node, (ast.If, ast.While)):
        _walk(node.body, dead=dead or _always_false(node.test), live=live)
        _walk(node.orelse, dead=dead or (isinstance(node, ast.If) and _always_true(node.test)), live=live)
    elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
        swallowed = any(_swallows(h.type) for h in node.handlers)  # type: ignore[attr-defined]
        _walk(node.body, dead=dead or swallowed, live=live)  # type: ignore[attr-defined]
        for part in (*[h.body for h in node.handlers], node.orelse, node.finalbody):  # type: ignore[attr-defined]
            _walk(part, dead=dead, live=live)
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        _walk(node.body, dead=dead or any(_swallows(item.context_expr) for item in node.items), live=live)
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        _walk(node.body, dead=dead, live=live)
        _walk(node.orelse, dead=dead, live=live)
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        _walk(node.body, dead=dead, live=live)
    elif isinstance(node, ast.Match):
        for case in node.cases:
            _walk(case.body, dead=dead, live=live)


def _ends_block(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return name in SKIP_NAMES or name in ("exit", "_exit", "fail")
    return False


def _swallows(expr: ast.expr | None) -> bool:
    """True for a handler type or context manager that would swallow a failed assertion."""
    if expr is None:
        return True  # a bare `except:`
    names = {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(expr) if isinstance(n, (ast.Name, ast.Attribute))}
    if "raises" in names:
        return bool(names & {"AssertionError", "Exception", "BaseException"})
    return bool(names & _SWALLOWERS)


def _constant(expr: ast.expr) -> tuple[bool, object]:
    if isinstance(expr, ast.Constant):
        return True, expr.value
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
        known, value = _constant(expr.operand)
        return known, (not value) if known else None
    return False, None


def _always_false(expr: ast.expr) -> bool:
    known, value = _constant(expr)
    return known and not value


def _always_true(expr: ast.expr) -> bool:
    known, value = _constant(expr)
    if known:
        return bool(value)
    if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or):
        return any(_always_true(v) for v in expr.values)
    if isinstance(expr, ast.Compare) and len(expr.ops) == 1 and isinstance(expr.ops[0], (ast.Eq, ast.Is, ast.LtE, ast.GtE)):
        return ast.dump(expr.left) == ast.dump(expr.comparators[0])
    return False
