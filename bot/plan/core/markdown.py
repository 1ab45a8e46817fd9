"""Just enough Markdown for the outline planner: clean text, a section tree, bullets and checkboxes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
BULLET = re.compile(r"^(\s*)(?:[-*+]|\d{1,3}[.)])\s+(?:\[([ xX])\]\s+)?(.*\S)\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
LABEL = re.compile(r"^\s*(?:\*\*|__)?\s*([^*_:]{1,60}?)\s*:?\s*(?:\*\*|__)?\s*:?\s*$")


def clean_text(text: str) -> str:
    """Text without hidden HTML comments and zero-width characters, with Unix newlines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return ZERO_WIDTH.sub("", HTML_COMMENT.sub("", text))


@dataclass(frozen=True)
class Bullet:
    """One list item: its text, nesting depth, the label line above it, and its checkbox state."""

    text: str
    depth: int = 0
    label: str = ""
    checked: bool | None = None


@dataclass
class Section:
    """A heading with its own lines and its sub-sections (the root has level 0 and no heading)."""

    heading: str = ""
    level: int = 0
    lines: list[str] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    def bullets(self) -> list[Bullet]:
        """This section's own list items (not its children's), continuation lines joined."""
        return parse_bullets(self.lines)

    def paragraphs(self) -> list[str]:
        """This section's own prose: paragraphs of non-list lines, labels excluded."""
        paragraphs: list[str] = []
        current: list[str] = []
        in_list = False
        for line in [*self.lines, ""]:
            in_list = bool(BULLET.match(line)) or (in_list and line.startswith((" ", "\t")))
            if line.strip() and not in_list and not is_label(line):
                current.append(line.strip())
            elif current:
                paragraphs.append(" ".join(current))
                current = []
        return paragraphs

    def walk(self) -> list[Section]:
        """This section and all its descendants, in document order."""
        return [self, *(s for child in self.children for s in child.walk())]

    def text_lines(self) -> list[str]:
        """Every non-empty line of this section and its descendants, stripped of list markers."""
        out = []
        for section in self.walk():
            out += [strip_marker(line) for line in section.lines if line.strip()]
        return out


def is_label(line: str) -> bool:
    """True for a short label line such as `**Acceptance criteria:**` or `Notes:`."""
    stripped = line.strip()
    if not stripped or BULLET.match(line):
        return False
    bold = stripped.startswith(("**", "__")) and stripped.rstrip(":").endswith(("**", "__"))
    return bool(LABEL.match(line)) and (bold or stripped.endswith(":"))


def label_text(line: str) -> str:
    """The words of a label line, lowercased."""
    match = LABEL.match(line)
    return match[1].strip().lower() if match else ""


def strip_marker(line: str) -> str:
    """A line without its list marker and checkbox."""
    match = BULLET.match(line)
    return match[3] if match else line.strip()


def parse_bullets(lines: list[str]) -> list[Bullet]:
    """List items with depth, checkbox state and the label line they sit under."""
    bullets: list[Bullet] = []
    label = ""
    for line in lines:
        match = BULLET.match(line)
        if match:
            indent = len(match[1].expandtabs(4))
            checked = None if match[2] is None else match[2] != " "
            bullets.append(Bullet(match[3].strip(), indent // 2, label, checked))
        elif is_label(line):
            label = label_text(line)
        elif line.strip() and bullets and line.startswith((" ", "\t")):
            last = bullets[-1]
            bullets[-1] = Bullet(f"{last.text} {line.strip()}", last.depth, last.label, last.checked)
        elif line.strip():
            label = ""
    return bullets


def parse_sections(text: str) -> Section:
    """The section tree of a Markdown document (code blocks skipped)."""
    root = Section()
    stack = [root]
    in_fence = False
    for line in clean_text(text).split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        heading = None if in_fence else HEADING.match(line)
        if heading:
            section = Section(heading[2].strip(), len(heading[1]))
            while stack[-1].level >= section.level:
                stack.pop()
            stack[-1].children.append(section)
            stack.append(section)
        elif not in_fence:
            stack[-1].lines.append(line.rstrip())
    return root
