"""Messages, tools and reply parsing for the fix loop (pure: the model client lives in bot/llm).

The model gets the skill as the system message, one user message with the run, the triage, the code
the failure points at (windows around the named lines) and earlier attempts, and a handful of bounded
tools; it answers by calling `propose_edits` (or with the same JSON as text). Prompts stay lean: the
goal is at most 6,000 prompt tokens per diagnosis, tools included.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.debug.core.edits import Edit, diff_text, edits_from_data, load_json, parse_edits
from bot.debug.core.records import Attempt
from bot.debug.core.session import Session
from bot.debug.core.stack import files_from_stack, resolve_refs, window
from bot.llm.prompts import sanitize
from bot.llm.reply import Reply, ToolCall
from bot.triage import Triage

Message = dict[str, Any]
REQUIREMENT_DOCS = ("prd.md", "techDoc.md", "testCase.md")
MAX_FILE_CHARS = 12_000       # one read_file result
MAX_DIR_ENTRIES = 200
MAX_SEARCH_RESULTS = 20
MAX_EXCERPT_CHARS = 5_000
MAX_CONTEXT_CHARS = 8_000     # all pre-loaded code windows together
MAX_FILE_WINDOW = 4_000       # one pre-loaded file
MAX_REQUIREMENT_CHARS = 3_000  # all documents in the first message; the rest through read_requirements
MAX_NOTE_CHARS = 600
FINAL_TOOL = "propose_edits"

REPLY_SHAPE = """Call propose_edits once you know the fix (or reply with the same JSON object as text):
{"diagnosis": "cause, fix, how the re-run shows it", "edits": [{"path": "src/x.py", "search": "exact lines",
 "replace": "new lines"}], "commit_message": "fix(scope): subject", "confidence": "high|medium|low"}
`search` must occur exactly once in the file; an empty `search` creates a new file. Instead of search/replace an
edit may be {"path", "patch": "<unified diff>"}. Use "edits": [] when no code change is right."""


def _function(name: str, description: str, properties: dict[str, Any], required: Sequence[str] = ()) -> dict:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "type": "object", "properties": properties, "required": list(required), "additionalProperties": False}}}


_STR = {"type": "string"}
_EDIT = {"type": "object", "properties": {"path": _STR, "search": _STR, "replace": _STR, "patch": _STR,
                                          "delete": {"type": "boolean"}}, "required": ["path"]}
TOOLS = [
    _function("read_file", "File at the failing commit, numbered.", {"path": _STR, "start_line": {"type": "integer"}},
              ["path"]),
    _function("list_dir", "Entries of a folder ('' = root).", {"path": _STR}),
    _function("search_code", "Lines matching a text, as path:line.", {"query": _STR}, ["query"]),
    _function("get_excerpt", "The triaged log excerpt again.", {}),
    _function("read_requirements", "A requirement document.", {"name": {"type": "string", "enum": list(
        REQUIREMENT_DOCS)}}, ["name"]),
    _function(FINAL_TOOL, "Final answer: the edits that fix the failure.", {
        "diagnosis": _STR, "edits": {"type": "array", "items": _EDIT}, "commit_message": _STR,
        "confidence": {"type": "string", "enum": ["high", "medium", "low"]}}, ["diagnosis", "edits"]),
]
_ARGS = {"read_file": ("path",), "list_dir": (), "search_code": ("query",), "get_excerpt": (),
         "read_requirements": ("name",), FINAL_TOOL: ("edits",)}


@dataclass(frozen=True)
class Final:
    """The model's answer: its diagnosis, the edits, and its commit message."""

    diagnosis: str
    edits: tuple[Edit, ...]
    commit_message: str = ""
    confidence: str = ""


def fix_messages(skill_text: str, session: Session, triage: Triage, files_context: Mapping[str, str],
                 requirements: Mapping[str, str], previous_attempts: Sequence[Attempt]) -> list[Message]:
    """The opening messages of one fix attempt (files_context: path -> full text at the failing commit)."""
    parts = [_run(session), _triage(triage), _code(triage.excerpt, files_context),
             _requirements(requirements), _previous(previous_attempts)]
    system = f"{skill_text.strip()}\n\n## Reply\n\n{REPLY_SHAPE}"
    return [{"role": "system", "content": system},
            {"role": "user", "content": sanitize("\n\n".join(p for p in parts if p))}]


def check_call(call: ToolCall) -> str:
    """Why a tool call cannot be served ("" when it can): unknown tool or missing arguments."""
    if call.name not in _ARGS:
        return f"unknown tool {call.name!r}; use one of {', '.join(_ARGS)}"
    missing = [a for a in _ARGS[call.name] if not isinstance(call.arguments.get(a), (str, list))]
    if call.name == "read_requirements" and call.arguments.get("name") not in REQUIREMENT_DOCS:
        return f"read_requirements: name must be one of {', '.join(REQUIREMENT_DOCS)}"
    return f"{call.name}: missing argument {', '.join(missing)}" if missing else ""


def assistant_message(reply: Reply) -> Message:
    """The model's turn as a chat message, tool calls included, to send back with the results."""
    message: Message = {"role": "assistant", "content": reply.text or ""}
    if reply.tool_calls:
        message["tool_calls"] = [{"id": c.id, "type": "function", "function": {
            "name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)}} for c in reply.tool_calls]
    return message


def tool_result(call: ToolCall, content: str) -> Message:
    """The answer to one tool call, sanitized."""
    return {"role": "tool", "tool_call_id": call.id, "content": sanitize(content)}


def file_result(path: str, text: str | None, *, start_line: int = 1, max_chars: int = MAX_FILE_CHARS) -> str:
    """A read_file answer: numbered lines from `start_line`, cut to `max_chars`."""
    if text is None:
        return f"{path}: no such file at the failing commit"
    lines = text.splitlines()
    first = min(max(1, start_line), max(1, len(lines)))
    out, size = [f"{path} (lines {first}-{len(lines)} of {len(lines)})"], 0
    for n in range(first, len(lines) + 1):
        row = f"{n:>4}| {lines[n - 1]}"
        size += len(row) + 1
        if size > max_chars:
            out.append(f"… cut at line {n - 1}; call read_file with start_line={n} for more")
            break
        out.append(row)
    return "\n".join(out)


def dir_result(path: str, entries: Sequence[str], *, max_entries: int = MAX_DIR_ENTRIES) -> str:
    """A list_dir answer (folders end with '/')."""
    shown = sorted(entries)[:max_entries]
    more = f"\n… {len(entries) - len(shown)} more" if len(entries) > len(shown) else ""
    return f"{path or '.'}/: " + ("\n".join(shown) if shown else "(empty)") + more


def search_result(query: str, hits: Sequence[tuple[str, int, str]], *, max_results: int = MAX_SEARCH_RESULTS) -> str:
    """A search_code answer: `path:line: text` per hit."""
    if not hits:
        return f"no matches for {query!r}"
    rows = [f"{path}:{line}: {text.strip()[:200]}" for path, line, text in hits[:max_results]]
    more = [f"… {len(hits) - max_results} more; narrow the query"] if len(hits) > max_results else []
    return "\n".join(rows + more)


def requirements_result(name: str, text: str | None, *, max_chars: int = MAX_FILE_CHARS) -> str:
    """A read_requirements answer."""
    if text is None:
        return f"{name}: the repository has no such requirement document"
    return text if len(text) <= max_chars else text[:max_chars] + "\n… (cut)"


def feedback_message(problem: str) -> Message:
    """Tell the model why its edits were not used (did not apply, or the guard refused them)."""
    return {"role": "user", "content": sanitize(f"{problem}\n\nPropose corrected edits with {FINAL_TOOL}.")}


def parse_final(reply: Reply) -> tuple[Final | None, list[str]]:
    """The final answer from a propose_edits call or a JSON/diff text reply, or None and what is wrong."""
    call = next((c for c in reply.tool_calls if c.name == FINAL_TOOL), None)
    data = call.arguments if call is not None else load_json(reply.text)
    if not isinstance(data, dict):
        if diff_text(reply.text) is None:
            return None, [f"no final answer: call {FINAL_TOOL} with the edits (or reply with its JSON)"]
        edits, errors = parse_edits(reply.text)
        head = re.split(r"```|^diff --git |^--- ", reply.text, maxsplit=1, flags=re.M)[0].strip()
        return (None, errors) if errors else (Final(head, tuple(edits)), [])
    edits, errors = edits_from_data(data)
    if errors:
        return None, errors
    return Final(str(data.get("diagnosis", "")).strip(), tuple(edits), str(data.get("commit_message") or "").strip(),
                 str(data.get("confidence") or "").strip()), []


def _run(s: Session) -> str:
    attempt = len(s.attempts) or 1
    lines = [f"# Run\nrepo {s.repo}, workflow {s.workflow}, run #{s.run_number}, branch {s.branch} "
             f"(base {s.base_branch}), commit {s.sha[:12]}; attempt {attempt}/{s.budget.attempts}"]
    if s.known_fix:
        lines.append(f"This failure was fixed before by {s.known_fix}; check whether the same fix applies.")
    return "\n".join(lines)


def _triage(t: Triage) -> str:
    excerpt = t.excerpt if len(t.excerpt) <= MAX_EXCERPT_CHARS else t.excerpt[-MAX_EXCERPT_CHARS:]
    summary = t.summary.removeprefix(f"{t.category}: ")
    return f"# Triage\n{t.category}: {summary}\n```\n{excerpt}\n```"


def _code(excerpt: str, files: Mapping[str, str]) -> str:
    refs = resolve_refs(files_from_stack(excerpt), files)
    wanted = list(dict.fromkeys([r.path for r in refs] + list(files)))
    blocks, left = [], MAX_CONTEXT_CHARS
    for path in wanted:
        if left < 200:
            break
        lines = [r.line for r in refs if r.path == path and r.line]
        body = window(files[path], lines, radius=15, max_chars=min(left, MAX_FILE_WINDOW))
        if body:
            blocks.append(f"## {path}\n```\n{body}\n```")
            left -= len(body)
    return "# Code at the failing commit\n" + "\n".join(blocks) if blocks else ""


def _requirements(docs: Mapping[str, str]) -> str:
    present = {name: text for name, text in docs.items() if text.strip()}
    share = MAX_REQUIREMENT_CHARS // max(1, len(present))
    shown = [f"## {name}\n{text[:share]}" + ("\n… (read_requirements for the rest)" if len(text) > share else "")
             for name, text in present.items()]
    return "# Requirements\n" + "\n".join(shown) if shown else ""


def _previous(attempts: Sequence[Attempt]) -> str:
    rows = [f"- attempt {a.n}: {a.result.value}" + (f": {a.note[:MAX_NOTE_CHARS]}" if a.note else "")
            for a in attempts]
    return "# Earlier attempts (do not repeat them)\n" + "\n".join(rows) if rows else ""
