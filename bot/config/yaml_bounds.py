"""YAML from repositories, read with a bound on nesting so a hostile file is a config error, not a crash.

PyYAML composes nodes recursively: a file nested ten thousand levels deep ends in RecursionError
with no file named. `safe_load` stops at `MAX_DEPTH` levels and names the key path where it stopped.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import Node, ScalarNode

MAX_DEPTH = 32


class TooDeep(yaml.YAMLError):
    """The document nests deeper than MAX_DEPTH; `key` is the dotted path where that happened."""

    def __init__(self, key: str) -> None:
        super().__init__(f"nested deeper than {MAX_DEPTH} levels at key {key or '(top)'}")
        self.key = key
        self.problem = str(self)


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts nesting while composing and refuses to go past MAX_DEPTH."""

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self._path: list[str] = []

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        """Compose one node, one level deeper than its parent."""
        step = index.value if isinstance(index, ScalarNode) else str(index) if isinstance(index, int) else ""
        self._path.append(step)
        try:
            if len(self._path) > MAX_DEPTH + 1:
                raise TooDeep(".".join(part for part in self._path[:MAX_DEPTH + 1] if part))
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._path.pop()


def safe_load(text: str | bytes) -> Any:
    """`yaml.safe_load` with bounded nesting; raises TooDeep (a yaml.YAMLError) past MAX_DEPTH."""
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
