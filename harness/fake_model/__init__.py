"""Scripted model: an OpenAI-compatible TEST AND DEMO HARNESS that replays a script. It is not a model.

Start it with `teabot dev fake-model --script FILE`, or in a test:

    with FakeModelServer({"replies": ["hello"]}) as model:
        OpenAIChat(ModelSettings(base_url=model.base_url, api_key="x")).complete(...)
        model.prompts  # what the harness received

See `script` for the script format and `server` for the routes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from harness.fake_model.script import Matcher, Script, ScriptedReply, ScriptError, load_script
from harness.fake_model.server import FakeModelServer

__all__ = ["FakeModelServer", "Matcher", "Script", "ScriptError", "ScriptedReply", "load_script", "run"]


def run(*, host: str = "127.0.0.1", port: int = 8001, script: Path | None = None) -> None:
    """Serve the harness in the foreground until interrupted (`teabot dev fake-model`)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    server = FakeModelServer(load_script(script) if script else None, host=host, port=port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logging.getLogger(__name__).info("scripted model test harness stopped")
