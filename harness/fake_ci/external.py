"""ExternalCi: a stand-in for an external CI server such as Jenkins, for the fake Gitea TEST AND DEMO HARNESS.

It is not Jenkins. Plugged in as `FakeGitea(ci_runner=ExternalCi())`, it builds pushes only: a
build runs the commit's push workflows (`.gitea/workflows/`) for real, one pipeline stage per job,
into a Jenkins-style console log. It tells Gitea nothing but commit statuses, posted over HTTP
with its own token (pending, then success, failure or error) and linking to the build page it
serves. Gitea has no Actions run for such a build: the status and its page are all there is.

    ext = ExternalCi()
    fake = FakeGitea("1.26.0", ci_runner=ext)
    fake.start()
    fake.add_repo("acme/widget")
    ext.setup(fake, "acme/widget")          # serves the build pages; user `jenkins` may write statuses
    install_sample(fake, "acme/widget", bug="off_by_one")   # ext.builds: main green, the branch red

With `also=CiRunner()` every trigger goes to that runner too (Actions for deploys, Jenkins for tests).
"""

from __future__ import annotations

import html
import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

import httpx
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from harness.fake_ci.executor import JobContext, run_job
from harness.fake_ci.runner import SCRUBBED, CiRunner
from harness.fake_ci.worker import SerialWorker, python_shims
from harness.fake_gitea.app import Trigger
from harness.fake_gitea.workflow_spec import (JobSpec, WorkflowFileError, WorkflowSpec, glob_match,
                                                   parse_workflow, workflow_files)

if TYPE_CHECKING:
    from harness.fake_gitea.server import FakeGitea

log = logging.getLogger(__name__)
WORKSPACE = "/var/jenkins_home/workspace"
URLS = Map([Rule("/job/<owner>/<name>/<int:number>/", endpoint="page", methods=["GET"]),
            Rule("/job/<owner>/<name>/<int:number>/consoleText", endpoint="text", methods=["GET"])])
PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>$job #$number Console [Jenkins]</title>
<link rel="stylesheet" href="/static/css/jenkins.css">
<script>
  var crumb = {fieldName: "Jenkins-Crumb", value: "4f1c2e9a7b"};
  window.addEventListener("load", function () { document.getElementById("out").scrollIntoView(false); });
</script></head>
<body><header id="page-header"><a href="/">Jenkins</a> <a href="/login">log in</a></header>
<nav id="breadcrumbs"><a href="/">Dashboard</a> &gt; <a href="/job/$owner/">$owner</a> &gt;
  <a href="/job/$owner/$name/">$name</a> &gt; <a href="$path">#$number</a></nav>
<aside id="side-panel"><a href="$path">Status</a> <a href="${path}consoleText">View as plain text</a></aside>
<main id="main-panel"><h1>Console Output</h1><pre id="out" class="console-output">$log</pre></main>
<footer><a href="/api/">REST API</a> Jenkins 2.462.3</footer></body>
</html>
""")


@dataclass
class _Build:
    """One build: what it builds, where it reports, and (as it goes) its console log and result."""

    number: int
    repo: str
    sha: str
    branch: str
    files: Mapping[str, bytes]
    api_url: str  # of the fake that was pushed to
    server_url: str
    actor: str
    result: str = "pending"  # then success, failure or error (the commit status it ended with)
    log: str = ""

    @property
    def path(self) -> str:
        """The build page, relative to the CI's URL."""
        return f"/job/{self.repo}/{self.number}/"


class ExternalCi(SerialWorker[_Build]):
    """Builds pushes like an external CI server, reporting to the fake Gitea through commit statuses only."""

    def __init__(self, workdir: Path | None = None, *, context: str = "jenkins/widget", login: str = "jenkins",
                 token: str = "jenkins-token-0123456789", job_timeout: float = 120.0,
                 branches: Sequence[str] = ("**",), also: CiRunner | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        super().__init__(workdir, job_timeout=job_timeout, name="external-ci")
        self.context = context  # of its commit statuses
        self.login, self.token = login, token  # the account it posts statuses as
        self.branches = list(branches)  # branch globs whose pushes are built
        self.also = also
        self.requests: list[str] = []  # path of every request to the build pages
        self._environ = environ
        self._builds: dict[int, _Build] = {}
        self._server: BaseWSGIServer | None = None
        self._http = httpx.Client(timeout=10, trust_env=False)

    @property
    def url(self) -> str:
        """Base URL of the build pages."""
        if self._server is None:
            raise RuntimeError("the external CI does not serve its build pages yet: call start() or setup() first")
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def builds(self) -> list[tuple[int, str, str, str, str]]:
        """Every build so far as (number, repo, sha, branch, result); result is "pending" until it ends."""
        with self._idle:
            return [(b.number, b.repo, b.sha, b.branch, b.result) for b in self._builds.values()]

    def start(self) -> str:
        """Serve the build pages on 127.0.0.1 (once); returns the base URL."""
        if self._server is None:
            self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
            threading.Thread(target=self._server.serve_forever, args=(0.1,), name="external-ci-web",  # stops fast
                             daemon=True).start()
        return self.url

    def setup(self, fake: FakeGitea, repo: str) -> None:
        """Serve the build pages and let the CI's user (made if missing) write commit statuses on `repo`."""
        self.start()
        if self.login not in fake.state.users:
            fake.add_user(self.login, self.token, full_name="Jenkins")
        fake.set_permission(repo, self.login, "write")

    def __call__(self, fake: FakeGitea, trigger: Trigger) -> None:
        """Queue a build for a push to a watched branch (dispatches and re-runs are Gitea's); returns at once."""
        if self.also is not None:
            self.also(fake, trigger)
        branch = trigger.ref.removeprefix("refs/heads/")
        if trigger.event != "push" or branch == trigger.ref or not any(glob_match(p, branch) for p in self.branches):
            return
        with fake.state.lock:
            files = dict(fake.state.repos[trigger.repo].commits[trigger.sha].files)
            api_url, server_url = fake.api_url, fake.url
        if _builds_anything(files, branch):
            self._queue_build(trigger, branch, files, api_url, server_url)

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Wait until no build is queued or running (nor any run of `also`)."""
        deadline = time.monotonic() + timeout
        super().wait_idle(timeout)
        if self.also is not None:
            self.also.wait_idle(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        """Drop queued builds, let the running one end, stop serving; remove a workdir of our own."""
        super().close()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._http.close()
        if self.also is not None:
            self.also.close()

    # --- builds ------------------------------------------------------------------------------

    def _queue_build(self, trigger: Trigger, branch: str, files: dict[str, bytes], api_url: str, server_url: str) -> None:
        with self._idle:
            number = len(self._builds) + 1
            build = _Build(number, trigger.repo, trigger.sha, branch, files, api_url, server_url, trigger.actor or "")
            self._builds[number] = build
        self._submit(build)

    def _busy(self) -> str:
        busy = ", ".join(f"#{b.number} ({b.repo} {b.branch})" for b in self._builds.values() if b.result == "pending")
        return f"builds {busy} are queued or running"

    def _execute(self, build: _Build) -> None:
        started = time.monotonic()
        workspace = f"{WORKSPACE}/{build.repo.replace('/', '_')}_{build.branch.replace('/', '_')}"
        _append(build, f"Started by an SCM change (pushed by {build.actor or 'unknown'})",
                "[Pipeline] Start of Pipeline", "[Pipeline] node", f"Running on built-in node in {workspace}",
                "[Pipeline] {", f"Checking out Revision {build.sha} (refs/remotes/origin/{build.branch})")
        self._post(build, "pending", f"Build #{build.number} in progress...")
        failed = self._stages(build)
        _append(build, "[Pipeline] }", "[Pipeline] // node", "[Pipeline] End of Pipeline")
        result = "failure" if failed else "success"
        _append(build, *(["ERROR: script returned exit code 1"] if failed else []), f"Finished: {result.upper()}")
        build.result = result
        verb = "failed" if failed else "passed"
        self._post(build, result, f"Build #{build.number} {verb} in {int(time.monotonic() - started)}s")

    def _stages(self, build: _Build) -> bool:
        """Run every stage (a stage after a failed one is skipped); True when one failed."""
        failed = False
        for spec, job in stages(build.files, build.branch):
            _append(build, "[Pipeline] stage", f"[Pipeline] {{ ({job.name})")
            if failed:
                _append(build, f'Stage "{job.name}" skipped due to earlier failure(s)')
            else:
                result = run_job(spec, job, build.files, self._context(build, spec, job), self.workdir)
                _append(build, *result.log.decode("utf-8", "replace").splitlines())
                failed = result.conclusion != "success"
            _append(build, "[Pipeline] }", "[Pipeline] // stage")
        return failed

    def _crashed(self, build: _Build, error: Exception, reason: str) -> None:
        _append(build, *reason.rstrip("\n").splitlines(), "Finished: FAILURE")
        build.result = "error"
        try:
            self._post(build, "error", f"Build #{build.number} broke: see the console output")
        except httpx.HTTPError as exc:
            log.warning("external CI: cannot report build #%s of %s to Gitea: %s", build.number, build.repo, exc)

    def _post(self, build: _Build, state: str, description: str) -> None:
        """Set the commit status of the build's commit (POST /repos/{owner}/{repo}/statuses/{sha})."""
        response = self._http.post(f"{build.api_url}/repos/{build.repo}/statuses/{build.sha}",
                                   headers={"Authorization": f"token {self.token}"},
                                   json={"state": state, "context": self.context, "description": description,
                                         "target_url": self.url + build.path})
        if response.is_error:
            raise httpx.HTTPStatusError(
                f"Gitea answered {response.status_code} {response.text.strip()} to the {state} status of build"
                f" #{build.number}: does user {self.login!r} have this token and write access to {build.repo}?"
                " (ExternalCi.setup gives both)", request=response.request, response=response)

    def _context(self, build: _Build, spec: WorkflowSpec, job: JobSpec) -> JobContext:
        number = str(build.number)
        github = {"sha": build.sha, "ref": f"refs/heads/{build.branch}", "ref_name": build.branch,
                  "event_name": "push", "repository": build.repo, "repository_owner": build.repo.split("/")[0],
                  "run_id": number, "run_number": number, "run_attempt": "1", "actor": build.actor,
                  "workflow": spec.name, "job": job.id, "server_url": build.server_url}
        env = self._base_env(build)
        env.update({f"GITHUB_{key.upper()}": value for key, value in github.items()})
        return JobContext(env, {}, github, self.job_timeout, "[Pipeline] sh")

    def _base_env(self, build: _Build) -> dict[str, str]:
        source = os.environ if self._environ is None else self._environ
        env = {k: v for k, v in source.items() if not k.startswith(SCRUBBED)}
        env.update(CI="true", JENKINS_URL=f"{self.url}/", BUILD_NUMBER=str(build.number),
                   BUILD_URL=self.url + build.path, JOB_NAME=f"{build.repo}/{build.branch}", GIT_COMMIT=build.sha,
                   GIT_BRANCH=build.branch, PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1",
                   CI_STATE_DIR=str(self.state_dir(build.repo)),
                   PATH=f"{python_shims(self.workdir)}{os.pathsep}{env.get('PATH', os.defpath)}")
        return env

    # --- build pages ---------------------------------------------------------------------------

    def _app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        self.requests.append(request.path)
        return self._page(request)(environ, start_response)

    def _page(self, request: Request) -> Response:
        try:
            endpoint, args = URLS.bind_to_environ(request.environ).match()
        except HTTPException as exc:  # unknown path (404), not a GET (405), missing slash (redirect)
            return exc.get_response(request.environ)
        build = self._builds.get(args["number"])
        if build is None or build.repo != f"{args['owner']}/{args['name']}":
            return Response(f"no build #{args['number']} of {args['owner']}/{args['name']}\n", 404,
                            content_type="text/plain; charset=utf-8")
        if endpoint == "text":
            return Response(build.log, content_type="text/plain; charset=utf-8")
        return Response(_render(build), content_type="text/html; charset=utf-8")


def stages(files: Mapping[str, bytes], branch: str) -> list[tuple[WorkflowSpec, JobSpec]]:
    """The pipeline of a push of `files` to `branch`: every job of every workflow that runs on it, in order."""
    specs = [parse_workflow(name, text) for name, text in workflow_files(files).items()]
    return [(spec, job) for spec in specs if spec.runs_on_push(branch) for job in spec.jobs]


def _render(build: _Build) -> str:
    """The build's console page: Jenkins-like chrome around the HTML-escaped log."""
    owner, name = build.repo.split("/", 1)
    return PAGE.substitute(job=html.escape(f"{build.repo} » {build.branch}"), number=build.number,
                           owner=html.escape(owner), name=html.escape(name), path=html.escape(build.path),
                           log=html.escape(build.log, quote=False))


def _builds_anything(files: Mapping[str, bytes], branch: str) -> bool:
    """Whether a push builds: some workflow runs on it, or one is unreadable (its build reports why)."""
    try:
        return bool(stages(files, branch))
    except WorkflowFileError:
        return True


def _append(build: _Build, *lines: str) -> None:
    build.log += "".join(f"{line}\n" for line in lines)
