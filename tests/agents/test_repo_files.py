"""teabot's files in a repository: settings, playbook and skill overrides from the default branch."""

from __future__ import annotations

import pytest

from bot.config.settings import ConfigError
from harness.fake_gitea import FakeGitea
from bot.forge.client import GiteaClient
from bot.config.repo_files import repo_files

REPO = "acme/widget"
SKILL = "---\nname: auto_debug\ndescription: Our own debugging rules.\n---\nAlways run `make check` first.\n"


def test_without_overrides_the_bundled_files_serve(fake: FakeGitea, forge: GiteaClient) -> None:
    files = repo_files(forge, REPO)
    assert files.playbook("auto_debug").budgets.attempts == 3 and files.config().debug.enabled
    assert files.skill("auto_debug").instructions.startswith("# Auto-debug")  # the bundled skill


def test_overrides_from_the_default_branch_are_merged_and_cached_per_commit(fake: FakeGitea, forge: GiteaClient) -> None:
    fake.push(REPO, {".gitea/teabot/workflows/auto_debug.yaml": "budgets: {attempts: 5}\n",
                     ".gitea/teabot/skills/auto_debug/skill.md": SKILL}, author="alice")
    files = repo_files(forge, REPO)
    flow = files.playbook("auto_debug")
    assert flow.budgets.attempts == 5 and flow.budgets.tokens == 200000  # merged onto the bundled workflow
    assert files.skill("auto_debug").instructions.strip() == "Always run `make check` first."
    reads = len(fake.calls("GET"))
    assert repo_files(forge, REPO).playbook("auto_debug") == flow
    assert len(fake.calls("GET")) == reads + 2  # the branch head again (repo, branch), not the file
    fake.push(REPO, {".gitea/teabot/workflows/auto_debug.yaml": "budgets: {attempts: 2}\n"}, author="alice")
    assert repo_files(forge, REPO).playbook("auto_debug").budgets.attempts == 2  # a new commit is read anew


@pytest.mark.parametrize("path, text, named", [
    (".gitea/teabot/workflows/auto_debug.yaml", "budgets: {attempts: many}\n",
     ".gitea/teabot/workflows/auto_debug.yaml: budgets.attempts"),
    (".gitea/teabot/workflows/plan.yaml", "steps: [oops\n", ".gitea/teabot/workflows/plan.yaml"),
    (".gitea/teabot/skills/auto_debug/skill.md", "no front matter", ".gitea/teabot/skills/auto_debug/skill.md"),
])
def test_a_broken_override_names_its_file_and_key(fake: FakeGitea, forge: GiteaClient, path: str, text: str,
                                                 named: str) -> None:
    fake.push(REPO, {path: text}, author="alice")
    files = repo_files(forge, REPO)
    name = path.split("/")[3].removesuffix(".yaml")
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        files.skill(name) if "skills" in path else files.playbook(name)
