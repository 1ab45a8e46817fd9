"""FakeGitea: the fake Gitea TEST AND DEMO HARNESS (it is not Gitea) — seeding, inspection, serving.

Use it in-process (`httpx.Client(transport=httpx.WSGITransport(app=fake.app))`) or as a real HTTP
server on 127.0.0.1 (`with FakeGitea() as fake: url = fake.start()`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import httpx
from werkzeug.serving import BaseWSGIServer, make_server

from harness.fake_gitea import ci
from harness.fake_gitea.app import Call, FakeApp, Failure, Trigger
from harness.fake_gitea.payloads import comment_event, issue_event
from harness.fake_gitea.routes_actions import ROUTES as ACTIONS
from harness.fake_gitea.routes_admin import ROUTES as ADMIN
from harness.fake_gitea.routes_code import ROUTES as CODE, push_events, push_files
from harness.fake_gitea.routes_issues import ROUTES as ISSUES
from harness.fake_gitea.routes_labels import ROUTES as LABELS
from harness.fake_gitea.routes_pulls import ROUTES as PULLS, open_pull, pull_trigger
from harness.fake_gitea.routes_hooks import ROUTES as HOOKS
from harness.fake_gitea.routes_repo import ROUTES as REPO
from harness.fake_gitea.serialize_code import Shapes
from harness.fake_gitea.state import Attachment, Comment, Hook, Issue, Label, Reaction, Repo, State
from harness.fake_gitea.webhooks import Deliverer, Delivery, branch_matches, hook_wants, sends

ROUTES = [*REPO, *ADMIN, *HOOKS, *ISSUES, *LABELS, *CODE, *PULLS, *ACTIONS]
CiRunner = Callable[["FakeGitea", Trigger], None]


def _bytes(data: bytes | str) -> bytes:
    return data.encode() if isinstance(data, str) else data


def _changed(files: Mapping[str, bytes], changes: Mapping[str, bytes | str | None]) -> dict[str, bytes]:
    """A snapshot with `changes` applied (None deletes a path)."""
    snapshot = dict(files)
    for path, data in changes.items():
        if data is None:
            snapshot.pop(path, None)
        else:
            snapshot[path] = _bytes(data)
    return snapshot


class FakeGitea:
    """In-memory Gitea API for tests and demos, with recorded requests and signed webhooks."""

    def __init__(self, version: str = "1.25.4", *, base_url: str = "http://gitea.test",
                 ci_runner: CiRunner | None = None, webhook_transport: httpx.BaseTransport | None = None,
                 root_url: str | None = None) -> None:
        self.state = State(version, base_url, root_url)
        self.app = FakeApp(self.state, ROUTES)
        self.app.on_events = self._deliver_all
        self.app.on_triggers = self._run_ci
        self.app.on_tests = lambda tests: [self.deliverer.submit(hook, *event) for hook, event in tests]
        self.ci_runner = ci_runner
        self.system_hooks: list[Hook] = []
        self.deliverer = Deliverer(webhook_transport)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # --- seeding --------------------------------------------------------------------------

    def add_user(self, login: str, token: str | None = None, *, admin: bool = False, full_name: str = "",
                 password: str | None = None) -> str:
        """Create a user (signing in with `password` by basic auth, when given); returns its API token."""
        with self.state.lock:
            user = self.state.add_user(login, token, admin=admin, full_name=full_name)
            user.password = password or user.password
            return user.token or ""

    def add_org_hook(self, org: str, url: str, secret: str = "", events: Sequence[str] = ("push",)) -> int:
        """Register an organisation webhook (every repository of `org` delivers to it); returns its id."""
        with self.state.lock:
            hook = Hook(self.state.next_id("hook"), url, secret, list(events), active=True, target="organization")
            self.state.org_hooks.setdefault(org, {})[hook.id] = hook
            return hook.id

    def add_repo(self, repo: str, *, default_branch: str = "main", files: Mapping[str, bytes | str] | None = None,
                 private: bool = False, description: str = "") -> None:
        """Create a repository ("owner/name"; the owner becomes an organisation unless it is a user)."""
        with self.state.lock:
            snapshot = {p: _bytes(d) for p, d in (files or {}).items()} or None
            self.state.add_repo(repo, default_branch=default_branch, files=snapshot, private=private,
                                description=description)

    def set_permission(self, repo: str, login: str, level: str) -> None:
        """Give `login` "read", "write" or "admin" access to `repo` ("owner": an owner of its organisation)."""
        if level not in ("none", "read", "write", "admin", "owner"):
            raise ValueError(f"permission {level!r} is not none, read, write, admin or owner")
        with self.state.lock:
            self._repo(repo).permissions[login] = level
            if level == "owner":
                self.state.org_owners.setdefault(login, set()).add(repo.partition("/")[0])

    def add_label(self, repo: str, name: str, color: str = "#ededed", description: str = "") -> int:
        """Create a repository label; returns its id."""
        with self.state.lock:
            target = self._repo(repo)
            label = Label(self.state.next_id("label"), name, color, description)
            target.labels[label.id] = label
            return label.id

    def add_issue(self, repo: str, title: str, body: str = "", *, author: str, labels: Iterable[str] = (),
                  is_pull: bool = False, head: str | None = None, base: str | None = None) -> int:
        """`author` opens an issue (or a pull request from `head`, made if missing); returns its number.

        Like a user acting in Gitea's web UI: the repository's hooks get the `opened` event, and a pull
        request starts its `on: pull_request` workflows.
        """
        with self.state.lock:
            target, user = self._repo(repo), self.state.users[author]
            number = self.state.next_number(target)
            if is_pull:
                base = base or target.default_branch
                head = head or f"feature-{number}"
                target.branches.setdefault(head, target.branches[base])
                issue = open_pull(target, number, user, title, body, head, base, self.state.next_id("pull"),
                                  self.state.next_id("issue"))
            else:
                issue = Issue(self.state.next_id("issue"), number, user, title, body)
                target.issues[number] = issue
            issue.labels = [self._label(target, name) for name in labels]
            self._deliver(target, [issue_event(Shapes(self.state, user), "opened", issue, target, user)])
            if issue.pull:
                self._run_ci([pull_trigger(target, issue, "opened", author)])
            return number

    def add_comment(self, repo: str, number: int, body: str, *, author: str, deliver: bool = True) -> int:
        """`author` comments on an issue or pull request (hooks get `created` unless `deliver` is False, for a
        test that sends the delivery itself); returns the comment id."""
        with self.state.lock:
            target, user = self._repo(repo), self.state.users[author]
            comment = Comment(self.state.next_id("comment"), target.issues[number], user, body)
            target.comments[comment.id] = comment
            if deliver:
                self._deliver(target, [comment_event(Shapes(self.state, user), "created", comment, target, user)])
            return comment.id

    def add_reaction(self, repo: str, content: str, *, author: str, number: int | None = None,
                     comment_id: int | None = None) -> None:
        """React (e.g. "+1", "-1", "heart") to an issue or to a comment."""
        with self.state.lock:
            target = self._repo(repo)
            holder = target.comments[comment_id] if comment_id is not None else target.issues[number or 0]
            holder.reactions.append(Reaction(self.state.users[author], content))

    def add_attachment(self, repo: str, number: int, name: str, data: bytes | str, *, author: str | None = None) -> str:
        """Attach a file to an issue; returns its download URL."""
        with self.state.lock:
            issue = self._repo(repo).issues[number]
            uploader = self.state.users[author] if author else issue.user
            item = Attachment(self.state.next_id("attachment"), name, _bytes(data), uploader)
            issue.attachments.append(item)
            return f"{self.state.base_url}/attachments/{item.uuid}"

    def add_dependency(self, repo: str, number: int, depends_on: int) -> None:
        """Make issue `number` depend on issue `depends_on` of the same repository."""
        with self.state.lock:
            self._repo(repo).issues[number].depends_on.append((repo, depends_on))

    def commit(self, repo: str, files: Mapping[str, bytes | str | None], *, branch: str | None = None,
               message: str = "Update files", author: str | None = None) -> str:
        """Commit changes (None deletes a path) onto `branch` without webhooks; returns the sha."""
        with self.state.lock:
            target = self._repo(repo)
            branch = branch or target.default_branch
            snapshot = _changed(target.commits[target.branches[branch]].files, files)
            who = self.state.users[author] if author else target.owner
            return push_files(target, branch, snapshot, message, who.signature)[0].sha

    def push(self, repo: str, files: Mapping[str, bytes | str | None], *, branch: str | None = None,
             base: str | None = None, message: str = "Update files", author: str | None = None) -> str:
        """`author` pushes a commit onto `branch` (made from `base` when new): webhooks fire, CI runs; the sha."""
        with self.state.lock:
            target = self._repo(repo)
            branch = branch or target.default_branch
            created = branch not in target.branches
            source = (base or target.default_branch) if created else branch
            snapshot = _changed(target.commits[target.branches[source]].files, files)
            who = self.state.users[author] if author else target.owner
            commit, before = push_files(target, source, snapshot, message, who.signature, branch if created else None)
            self._deliver(target, push_events(Shapes(self.state, who), target, branch, before, [commit], created, who))
            self._run_ci([Trigger(repo, "push", f"refs/heads/{branch}", commit.sha, actor=who.login)])
            return commit.sha

    def add_hook(self, repo: str, url: str, secret: str = "", events: Sequence[str] = ("push",), *,
                 content_type: str = "json") -> int:
        """Register a webhook; returns its id."""
        with self.state.lock:
            hook = Hook(self.state.next_id("hook"), url, secret, list(events), content_type)
            self._repo(repo).hooks[hook.id] = hook
            return hook.id

    def add_system_hook(self, url: str, secret: str = "", events: Sequence[str] = ("*",)) -> None:
        """A webhook for every repository (Gitea's system webhooks); events "*" means all."""
        self.system_hooks.append(Hook(0, url, secret, list(events), target="system"))

    def _repo(self, repo: str) -> Repo:
        if repo not in self.state.repos:
            raise KeyError(f"no repository {repo!r} in the fake: add_repo() it first")
        return self.state.repos[repo]

    def _label(self, repo: Repo, name: str) -> Label:
        found = next((lb for lb in repo.labels.values() if lb.name == name), None)
        return found or repo.labels[self.add_label(repo.full_name, name)]

    # --- Actions ----------------------------------------------------------------------------

    def add_run(self, repo: str, *, workflow: str = "ci.yml", head_sha: str | None = None,
                head_branch: str | None = None, event: str = "push", status: str | None = None,
                conclusion: str | None = None, jobs: Sequence[Mapping[str, Any]] = ({"name": "test"},),
                actor: str | None = None, title: str = "", pull: int | None = None) -> int:
        """Record a run; with `conclusion` (or status "completed") its jobs finish too. Returns the run id.

        A pull_request run (`event="pull_request"`, `pull` = its number, else the open pull request from
        `head_branch`) has the ref refs/pull/<n>/head, as Gitea gives it, so the API shows no head_branch.
        """
        with self.state.lock:
            target = self._repo(repo)
            branch = head_branch or target.default_branch
            sha = head_sha or target.branches.get(branch) or target.branches[target.default_branch]
            who = self.state.users[actor] if actor else target.owner
            ref = ""
            if event.startswith("pull_request"):
                number = pull or next((i.number for i in target.issues.values() if i.pull and i.state == "open"
                                       and i.pull.head == branch), 0)
                ref = f"refs/pull/{number}/head"
            run = ci.new_run(self.state, target, workflow=workflow, head_sha=sha, head_branch=branch, event=event,
                             actor=who, title=title, jobs=jobs, ref=ref)
            if status in ("in_progress", "completed") or conclusion:
                ci.start_run(self.state, target, run)
            if status == "completed" or conclusion:
                outcome = {j["name"]: j.get("conclusion") or conclusion or "success" for j in jobs}
                logs = {j["name"]: _bytes(j["log"]) for j in jobs if j.get("log") is not None}
                ci.finish_run(self.state, target, run, outcome, logs)
            return run.id

    def start_run(self, repo: str, run_id: int) -> None:
        """Move a queued run to in_progress (webhooks: workflow_run/workflow_job in_progress)."""
        with self.state.lock:
            target = self._repo(repo)
            self._deliver(target, ci.start_run(self.state, target, target.runs[run_id]))

    def complete_run(self, repo: str, run_id: int, conclusion: str = "success", *,
                     jobs: Mapping[str, str] | None = None, logs: Mapping[str, bytes | str] | None = None) -> None:
        """Finish a run: unfinished jobs end with `jobs[name]` or `conclusion`; webhooks are delivered."""
        with self.state.lock:
            target = self._repo(repo)
            run = target.runs[run_id]
            outcome = {j.name: (jobs or {}).get(j.name, conclusion) for j in run.jobs}
            raw_logs = {name: _bytes(text) for name, text in (logs or {}).items()}
            self._deliver(target, ci.finish_run(self.state, target, run, outcome, raw_logs))

    def list_comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        """The comments of an issue as the API shows them (for assertions)."""
        with self.state.lock:
            target = self._repo(repo)
            shapes = Shapes(self.state, target.owner)
            return [shapes.comment(c, target) for c in target.comments.values() if c.issue.number == number]

    def dispatches(self, repo: str) -> list[dict[str, Any]]:
        """The workflow dispatches `repo` received (workflow, ref, inputs, user, run_id)."""
        with self.state.lock:
            return list(self._repo(repo).dispatches)

    def wait_ci(self, timeout: float = 60.0) -> None:
        """Wait until the CI runner (if it can tell) is idle and every webhook was delivered."""
        wait_idle = getattr(self.ci_runner, "wait_idle", None)
        if wait_idle is not None:
            wait_idle(timeout)
        self.wait_deliveries(timeout)

    def _run_ci(self, triggers: list[Trigger]) -> None:
        if self.ci_runner is not None:
            for trigger in triggers:
                self.ci_runner(self, trigger)

    # --- webhooks ---------------------------------------------------------------------------

    def emit(self, event_type: str, payload: dict[str, Any], repo: str | None = None) -> list[Delivery]:
        """Deliver any payload as `event_type` to the hooks of `repo` (default: payload's repository)."""
        with self.state.lock:
            target = self._repo(repo or payload["repository"]["full_name"])
            return self._deliver(target, [(event_type, payload)])

    def wait_deliveries(self, timeout: float = 5.0) -> list[Delivery]:
        """Wait until every queued webhook was delivered (or failed); returns all deliveries."""
        return self.deliverer.wait(timeout)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery so far."""
        return list(self.deliverer.deliveries)

    def _deliver_all(self, events: list[tuple[str, Repo, dict[str, Any]]]) -> None:
        for event_type, repo, payload in events:
            self._deliver(repo, [(event_type, payload)])

    def _deliver(self, repo: Repo, events: list[tuple[str, dict[str, Any]]]) -> list[Delivery]:
        sent = []
        org_hooks = self.state.org_hooks.get(repo.owner.login, {}) if repo.owner.is_org else {}
        for event_type, payload in events:
            if not sends(self.state.profile, repo, event_type, payload):
                continue
            # services/webhook/webhook.go `PrepareWebhooks`: repository hooks, then the owner's
            # (organisation) hooks, then system hooks; each filters by its events and branch filter.
            for hook in [*repo.hooks.values(), *org_hooks.values(), *self.system_hooks]:
                if hook.active and ("*" in hook.events or hook_wants(hook.events, event_type)) \
                        and branch_matches(hook.branch_filter, event_type, payload):
                    sent.append(self.deliverer.submit(hook, event_type, payload))
        return sent

    # --- requests -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[Call]:
        """Every request received so far (path relative to /api/v1)."""
        return list(self.app.requests)

    def calls(self, method: str | None = None, path: str | None = None) -> list[Call]:
        """Requests matching a method and a path (exact, or a regular expression matching all of it)."""
        return [c for c in self.requests if method in (None, c.method)
                and (path is None or c.path == path or re.fullmatch(path, c.path))]

    def fail_next(self, method: str, path_pattern: str, status: int = 500, times: int = 1,
                  retry_after: float | None = None) -> None:
        """Answer the next `times` requests matching (method or "*", regex on the path) with `status`."""
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        with self.state.lock:
            self.app.failures.append(Failure(method, path_pattern, status, times, headers))

    def delay_next(self, method: str, path_pattern: str, seconds: float, times: int = 1) -> None:
        """Answer the next `times` matching requests normally, but only after `seconds` (a slow Gitea)."""
        with self.state.lock:
            self.app.failures.append(Failure(method, path_pattern, 0, times, {}, seconds))

    # --- serving ------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve over HTTP on a background thread; returns the base URL (API under /api/v1)."""
        self._server = make_server(host, port, self.app, threaded=True)
        self.state.base_url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-gitea", daemon=True)
        self._thread.start()
        return self.state.base_url

    def stop(self) -> None:
        """Stop serving and finish pending webhook deliveries."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        close_runner = getattr(self.ci_runner, "close", None)
        if close_runner is not None:
            close_runner()
        self.deliverer.close()

    @property
    def url(self) -> str:
        """Base URL of the fake (as configured or as served)."""
        return self.state.base_url

    @property
    def api_url(self) -> str:
        """Base URL of the API (".../api/v1")."""
        return self.state.base_url + "/api/v1"

    def __enter__(self) -> FakeGitea:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
