"""Webhook methods of GiteaClient: repository and organisation hooks (both need admin rights).

Gitea (routers/api/v1/utils/hook.go @v1.25.4): `editHook` reads only `url` and `content_type` from
`config`, so a hook's secret can only be changed by deleting and re-creating the hook; an edit also
replaces `events`, `branch_filter` and `authorization_header` with what it is sent. Organisation
hooks (`/orgs/{org}/hooks`) need an owner of the organisation (`reqOrgOwnership`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from bot.forge.transport import Transport

Json = dict[str, Any]


def _repo_path(repo: str) -> str:
    from bot.forge.client import repo_path

    return repo_path(repo)


def hook_body(url: str, secret: str, events: Iterable[str], *, content_type: str = "json",
              branch_filter: str = "", authorization_header: str = "", active: bool = True) -> Json:
    """A CreateHookOption for a Gitea-type hook."""
    body: Json = {"type": "gitea", "active": active, "events": list(events),
                  "config": {"url": url, "content_type": content_type, "secret": secret}}
    if branch_filter:
        body["branch_filter"] = branch_filter
    if authorization_header:
        body["authorization_header"] = authorization_header
    return body


class HookMethods:
    """Webhook endpoints; mixed into GiteaClient."""

    transport: Transport
    _send: Callable[..., Any]  # GiteaClient._send

    def list_hooks(self, repo: str) -> list[Json]:
        """The repository's webhooks (needs admin access)."""
        return self.transport.paginate(f"{_repo_path(repo)}/hooks")

    def create_hook(self, repo: str, url: str, secret: str, events: Iterable[str], content_type: str = "json",
                    *, branch_filter: str = "", authorization_header: str = "") -> Json:
        """Add a Gitea-type webhook posting `events` to `url`, signed with `secret`."""
        body = hook_body(url, secret, events, content_type=content_type, branch_filter=branch_filter,
                         authorization_header=authorization_header)
        return self._send("POST", f"{_repo_path(repo)}/hooks", body)

    def edit_hook(self, repo: str, hook_id: int, **fields: Any) -> Json:
        """Change a webhook; Gitea ignores a new secret and clears fields that are not sent."""
        return self._send("PATCH", f"{_repo_path(repo)}/hooks/{hook_id}", fields)

    def delete_hook(self, repo: str, hook_id: int) -> None:
        """Delete a repository webhook."""
        self._send("DELETE", f"{_repo_path(repo)}/hooks/{hook_id}")

    def test_hook(self, repo: str, hook_id: int) -> None:
        """Ask Gitea to send a test push delivery (only hooks subscribed to push get one)."""
        self._send("POST", f"{_repo_path(repo)}/hooks/{hook_id}/tests")

    def list_org_hooks(self, org: str) -> list[Json]:
        """An organisation's webhooks (needs an owner of the organisation)."""
        return self.transport.paginate(f"/orgs/{quote(org, safe='')}/hooks")

    def create_org_hook(self, org: str, url: str, secret: str, events: Iterable[str], *, branch_filter: str = "",
                        authorization_header: str = "") -> Json:
        """Add a Gitea-type webhook to an organisation."""
        body = hook_body(url, secret, events, branch_filter=branch_filter, authorization_header=authorization_header)
        return self._send("POST", f"/orgs/{quote(org, safe='')}/hooks", body)

    def delete_org_hook(self, org: str, hook_id: int) -> None:
        """Delete an organisation webhook."""
        self._send("DELETE", f"/orgs/{quote(org, safe='')}/hooks/{hook_id}")
