"""The assist tests use the agent tests' fake Gitea (in-process) and the bot's client."""

from tests.agents.conftest import fake, forge, gitea_version  # noqa: F401  (fixtures)
