"""The Actions hand-over credential: one per repository, derived from the server's hand-over key.  PURE.

An Actions step hands a failed run to the server (`POST /handover`) with `Authorization: Bearer
<credential>`. The credential is `tbh1.<generation>.<owner/name>.<mac>`: `mac` is the hex
HMAC-SHA256, under the server's hand-over key (`TEABOT_HANDOVER_KEY`, never the webhook secret or
the plan key), of the repository's full name (lowercased) and the generation. The server keeps no
list of credentials: it recomputes the mac. Rotation is per repository (the server refuses
generations below the repository's current one) or server-wide (a new key voids every credential).
A credential is good for one repository's `workflow_run` events only, so a workflow writer of one
repository can hand over nothing of another.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass

PREFIX = "tbh1"
EVENT = "workflow_run"
SHAPE = re.compile(r"^tbh1\.(?P<gen>[1-9][0-9]{0,8})\.(?P<repo>[^/\s.][^/\s]*/[^/\s]+)\.(?P<mac>[0-9a-f]{64})$")
REPO = re.compile(r"^[^/\s]+/[^/\s]+$")
ISSUE = "`teabot handover issue {repo} --install` on the server"


class HandoverRefused(Exception):
    """A hand-over was refused; `status` is the HTTP status to answer with, the message says what to do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Credential:
    """A parsed hand-over credential (its mac not yet checked)."""

    repo: str
    generation: int
    mac: str


def _mac(key: bytes, repo: str, generation: int) -> str:
    message = f"teabot-handover\x1f{PREFIX}\x1f{repo.lower()}\x1f{generation}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def credential_for(key: bytes, repo: str, generation: int) -> str:
    """The credential of `repo` ("owner/name") at `generation` (1 and up)."""
    if not REPO.match(repo) or repo.startswith("."):
        raise ValueError(f"repository {repo!r} is not of the form OWNER/REPO")
    if generation < 1:
        raise ValueError(f"generation {generation} is not 1 or more")
    return f"{PREFIX}.{generation}.{repo.lower()}.{_mac(key, repo, generation)}"


def parse_credential(text: str) -> Credential | None:
    """The credential's parts, or None when `text` is not shaped like one."""
    match = SHAPE.match(text.strip())
    if match is None:
        return None
    return Credential(match["repo"], int(match["gen"]), match["mac"])


def bearer(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header ("" when there is none)."""
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticate(key: bytes, token: str, current_generation: Callable[[str], int]) -> Credential:
    """The credential `token` proves, or HandoverRefused(401) saying why it proves nothing.

    The mac is checked (in constant time) before the generation is looked up, so a forged
    credential learns nothing about a repository's generation.
    """
    found = parse_credential(token)
    if found is None:
        raise HandoverRefused(401, "Authorization must be `Bearer tbh1.<generation>.<owner/repo>.<mac>`: give the step "
                                   "the repository's TEABOT_HANDOVER_TOKEN secret (the webhook secret is not accepted "
                                   "here); the server's operator prints it with " + ISSUE.format(repo="OWNER/REPO"))
    if not hmac.compare_digest(found.mac, _mac(key, found.repo, found.generation)):
        raise HandoverRefused(401, f"the hand-over credential for {found.repo} was not issued by this server (or the "
                                   f"server's hand-over key was rotated): re-issue it with {ISSUE.format(repo=found.repo)}")
    current = current_generation(found.repo)
    if found.generation < current:
        raise HandoverRefused(401, f"the hand-over credential for {found.repo} is generation {found.generation}, rotated "
                                   f"out (generation {current} is current): install the current one with "
                                   f"{ISSUE.format(repo=found.repo)}")
    return found


def check_event(event: str) -> None:
    """HandoverRefused(400) unless the hand-over carries a `workflow_run` event."""
    if event != EVENT:
        raise HandoverRefused(400, f"X-Gitea-Event is {event or 'missing'!r}: a hand-over carries a workflow_run event "
                                   "only (`teabot debug --from-event` in a workflow triggered `on: workflow_run`)")


def check_repository(credential: Credential, repo: object) -> None:
    """HandoverRefused unless the payload's repository is the credential's own (403), or there is none (400)."""
    if not isinstance(repo, str) or not repo:
        raise HandoverRefused(400, "the payload has no repository.full_name: send the workflow_run event file as it is")
    if repo.lower() != credential.repo:
        raise HandoverRefused(403, f"this credential is for {credential.repo}, not {repo}: a repository may hand over "
                                   "its own runs only; give each repository its own TEABOT_HANDOVER_TOKEN")
