"""Seed files for the fake Gitea test harness: JSON or YAML describing its starting state.

    version: "1.25.4"
    users:  [{login: teabot, token: teabot-token, admin: false, full_name: "Tea Bot"}]
    repos:
      - name: acme/widget            # also: private, default_branch, description
        files: {README.md: "# widget\n"}
        permissions: {teabot: write}
        labels: [{name: kind/bug, color: "#ee0701", description: ""}]
        issues: [{title: ..., body: ..., author: alice, labels: [kind/bug], is_pull: false,
                  comments: [{author: alice, body: /plan}]}]
        runs: [{workflow: ci.yml, head_branch: main, event: push, conclusion: failure,
                jobs: [{name: test, conclusion: failure, log: "..."}]}]
        hooks: [{url: "http://127.0.0.1:8000/webhook", secret: s3cret, events: [issues, pull_request]}]

Every key maps onto a FakeGitea seeding method of the same name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from harness.fake_gitea.server import FakeGitea

DEMO_SEED: dict[str, Any] = {
    "version": "1.25.4",
    "users": [
        {"login": "teabot", "token": "teabot-token", "full_name": "Tea Bot"},
        {"login": "alice", "token": "alice-token", "full_name": "Alice Liddell", "admin": True},
    ],
    "repos": [{
        "name": "acme/widget",
        "files": {"README.md": "# widget\n", ".gitea/workflows/ci.yml": "on: [push]\njobs: {}\n"},
        "permissions": {"teabot": "write"},
        "issues": [{"title": "Add rate limiting to the /orders endpoint", "author": "alice",
                    "body": "We need per-client rate limiting."}],
    }],
}


def load_seed(path: Path) -> dict[str, Any]:
    """The mapping in a JSON or YAML seed file."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a seed file holds a mapping with 'users' and 'repos'")
    return data


def apply_seed(fake: FakeGitea, data: dict[str, Any]) -> None:
    """Create the users and repositories a seed mapping describes."""
    for user in data.get("users", []):
        fake.add_user(user["login"], user.get("token"), admin=bool(user.get("admin")),
                      full_name=user.get("full_name", ""))
    for spec in data.get("repos", []):
        _apply_repo(fake, spec)


def _apply_repo(fake: FakeGitea, spec: dict[str, Any]) -> None:
    name = spec["name"]
    fake.add_repo(name, default_branch=spec.get("default_branch", "main"), files=spec.get("files"),
                  private=bool(spec.get("private")), description=spec.get("description", ""))
    for login, level in (spec.get("permissions") or {}).items():
        fake.set_permission(name, login, level)
    for label in spec.get("labels", []):
        fake.add_label(name, label["name"], label.get("color", "#ededed"), label.get("description", ""))
    for issue in spec.get("issues", []):
        number = fake.add_issue(name, issue["title"], issue.get("body", ""), author=issue["author"],
                                labels=issue.get("labels", ()), is_pull=bool(issue.get("is_pull")),
                                head=issue.get("head"), base=issue.get("base"))
        for comment in issue.get("comments", []):
            fake.add_comment(name, number, comment["body"], author=comment["author"])
    for run in spec.get("runs", []):
        fake.add_run(name, **run)
    for hook in spec.get("hooks", []):
        fake.add_hook(name, hook["url"], hook.get("secret", ""), hook.get("events", ["push"]))
