"""The package's shape: feature and infrastructure packages, imports that point one way, a light web process."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOT = ROOT / "bot"
FEATURES = {"plan", "debug", "assist", "triage"}
INFRASTRUCTURE = {"receiver", "worker", "config", "forge", "llm", "security", "cli", "bundled"}
TOP_MODULES = {"__init__", "__main__", "events", "routing", "commands", "redact", "logs"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path: Path, modules: set[str]) -> set[str]:
    """Modules imported when `path` is imported: module-level statements, not TYPE_CHECKING or function bodies
    (`from package import module` counts as importing the module; a package's `__init__` runs first anyway)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for child in ast.walk(node) if isinstance(node, (ast.Import, ast.ImportFrom, ast.If, ast.Try)) else ():
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                submodules = {f"{child.module}.{alias.name}" for alias in child.names} & modules
                found.update(submodules)
                if len(submodules) < len(child.names):
                    found.add(child.module)
    return {name for name in found if name == "bot" or name.startswith("bot.")}


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in BOT.rglob("*.py")}
    return {name: {m for m in top_level_imports(path, set(modules)) if m in modules and m != name}
            for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_top_of_the_package_names_its_features_and_infrastructure() -> None:
    packages = {p.name for p in BOT.iterdir() if p.is_dir() and p.name != "__pycache__"}
    modules = {p.stem for p in BOT.glob("*.py")}
    assert packages == FEATURES | INFRASTRUCTURE
    assert modules == TOP_MODULES and len(modules) <= 8


def test_there_is_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_pure_cores_import_no_io_library() -> None:
    io = ("flask", "rq", "redis", "httpx", "openai", "os")
    for core in ("bot/plan/core", "bot/debug/core", "bot/triage"):
        for path in (ROOT / core).rglob("*.py"):
            tree = ast.parse(path.read_text())
            names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
            assert not names & set(io), f"{path.relative_to(ROOT)} imports {sorted(names & set(io))}"


def test_the_web_process_imports_neither_the_agents_nor_the_model_client(tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        "from bot.config.settings import Settings\n"
        "from bot.receiver.app import create_app\n"
        f"create_app(Settings(webhook_secret='s', data_dir=__import__('pathlib').Path({str(tmp_path)!r})))\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                           check=True, timeout=60).stdout))
    assert "openai" not in loaded
    assert not {m for m in loaded if m.endswith((".agent", ".jobs", ".fix")) and m.startswith("bot.")}
    assert not {m for m in loaded if m.startswith(("bot.plan.core", "bot.debug.core.prompts", "harness"))}
    assert {"bot.plan.handler", "bot.debug.handler", "bot.assist.handler"} <= loaded


def test_the_harness_is_not_part_of_the_distribution() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'include = ["bot*"]' in pyproject and "harness" not in pyproject.split("[tool.setuptools.packages.find]")[1]
    assert not (BOT / "devtools").exists()
    assert "harness" in (ROOT / ".dockerignore").read_text().split()
