"""The verdict of a green fix: it counts only when the failing commit's ORIGINAL tests pass against it.

When the fix branch changed tests, test configuration, CI definitions or a script the workflows
run (`bot.debug.core.guard.verification_files`), one more commit puts those files back as they
were on the failing commit, on `teabot/verify/<stem>-<run>-<attempt>`; the session waits for that
run (WaitKind.VERIFY) and only its green counts. Otherwise the fix's own green decides.
"""

from __future__ import annotations

from bot.debug import gitea
from bot.debug.core.commits import BOT_PREFIX
from bot.debug.core.guard import verification_files, workflow_paths
from bot.debug.core.paths import workflow_stem
from bot.debug.core.session import Session
from bot.debug.deps import Deps
from bot.forge.models import Branch, commit_sha, tree_entries

WORKFLOW_FOLDERS = (".gitea/workflows/", ".github/workflows/")
VERIFY_PREFIX = BOT_PREFIX + "verify/"


def ci_scripts(deps: Deps, repo: str, sha: str, tree: list[str]) -> frozenset[str]:
    """The files of `tree` that the workflow definitions at `sha` name: scripts CI runs, protected like CI itself."""
    texts = [gitea.file_text(deps.forge, repo, path, sha) or "" for path in tree if path.startswith(WORKFLOW_FOLDERS)]
    return workflow_paths(texts, tree)


def to_restore(deps: Deps, session: Session, head: str) -> dict[str, str | None]:
    """The files to put back before the run that decides (None = delete); {} when the fix's green counts."""
    before, after = _blobs(deps, session.repo, session.sha), _blobs(deps, session.repo, head)
    changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    original = {p: gitea.file_text(deps.forge, session.repo, p, session.sha) if p in before else None for p in changed}
    patched = {p: gitea.file_text(deps.forge, session.repo, p, head) if p in after else None for p in changed}
    return verification_files(original, patched, ci_scripts(deps, session.repo, session.sha, sorted(before)))


def push_verification(deps: Deps, session: Session, head: str, restore: dict[str, str | None]) -> tuple[str, str]:
    """Push one commit on top of the fix with `restore` applied, on its own branch; returns (branch, commit)."""
    attempt = session.current.n if session.current else len(session.attempts)
    branch = f"{VERIFY_PREFIX}{workflow_stem(session.workflow)}-{session.run_number}-{attempt}"
    deps.forge.create_branch(session.repo, branch, head)
    shas = gitea.blob_shas(deps.forge, session.repo, branch, list(restore))
    files = [_operation(path, text, shas.get(path)) for path, text in restore.items()]
    message = f"test: run the original tests of {session.sha[:12]} against the fix\n\nRestored: {', '.join(restore)}"
    commit = deps.forge.change_files(session.repo, branch=branch, message=message, files=files)
    return branch, commit_sha(commit) or Branch.from_api(deps.forge.get_branch(session.repo, branch)).sha


def _operation(path: str, text: str | None, sha: str | None) -> dict[str, str | None]:
    if text is None:
        return {"operation": "delete", "path": path, "sha": sha}
    return {"operation": "update" if sha else "create", "path": path, "content": text, "sha": sha}


def _blobs(deps: Deps, repo: str, ref: str) -> dict[str, str]:
    """Path → blob sha of every file at `ref`."""
    return {e.path: e.sha for e in tree_entries(deps.forge.get_tree(repo, ref)) if e.type == "blob"}
