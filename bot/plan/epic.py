"""Reading an epic for the planner: title, body, discussion, attachments; hidden text stripped, secrets redacted."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.forge.client import GiteaClient
from bot.forge.errors import ForgeError
from bot.llm.prompts import sanitize_markdown, strip_hidden
from bot.plan.core.model import Post
from bot.redact import redact
from bot.security.trust import is_own

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    """The text of one attached document."""

    name: str
    text: str


@dataclass(frozen=True)
class Epic:
    """Everything the planner reads from an issue."""

    title: str
    body: str
    author: str
    discussion: tuple[Post, ...]  # human comments, oldest first
    bot_comments: tuple[tuple[str, str, str], ...]  # (author, raw body, created_at) of every comment, for the plan block
    attachments: tuple[Attachment, ...] = ()
    comment_ids: tuple[tuple[str, int, str], ...] = ()  # (author, id, raw body), to find the bot's board

    def posts(self) -> list[Post]:
        """The thread: the issue body, then the human comments."""
        return [Post(self.author, self.body), *self.discussion]

    def as_text(self) -> str:
        """The epic as one Markdown document for the model."""
        parts = [f"# {self.title}", self.body]
        if self.discussion:
            parts.append("## Discussion\n" + "\n".join(f"- @{p.author}: {p.body}" for p in self.discussion))
        parts += [f"## Attachment: {a.name}\n{a.text}" for a in self.attachments]
        return "\n\n".join(part for part in parts if part.strip())


def clean(text: str | None) -> str:
    """Text as the agents may see it: hidden parts stripped, secrets redacted."""
    return redact(strip_hidden(text or "")).strip()


def visible(markdown: str | None) -> str:
    """An issue body or comment as the agents may see it: only what a reader sees (markdown-it-py), redacted."""
    return sanitize_markdown(markdown or "").strip()


def read_epic(forge: GiteaClient, repo: str, number: int, *, bot_login: str,
              attachment_types: Sequence[str] = ("md", "txt", "pdf"), max_attachment_kb: int = 512) -> Epic:
    """Fetch the issue, its comments and its readable attachments."""
    issue = forge.get_issue(repo, number)
    comments = forge.list_comments(repo, number)
    discussion = tuple(Post(c["user"]["login"], visible(c.get("body"))) for c in comments
                       if not is_own(c["user"]["login"], bot_login) and visible(c.get("body")))
    raw = tuple((c["user"]["login"], c.get("body") or "", str(c.get("created_at") or "")) for c in comments)
    ids = tuple((c["user"]["login"], int(c["id"]), c.get("body") or "") for c in comments)
    files = _attachments(forge, issue.get("assets") or [], attachment_types, max_attachment_kb)
    return Epic(clean(issue.get("title")), visible(issue.get("body")), issue["user"]["login"], discussion, raw, files, ids)


def _attachments(forge: GiteaClient, assets: list[dict], types: Sequence[str], max_kb: int) -> tuple[Attachment, ...]:
    found = []
    for asset in assets:
        name = str(asset.get("name") or "")
        kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if kind not in types or int(asset.get("size") or 0) > max_kb * 1024:
            continue
        try:
            data = forge.download(str(asset["browser_download_url"]))
        except (ForgeError, KeyError) as exc:
            log.warning("attachment %s skipped: %s", name, exc)
            continue
        text = pdf_text(data) if kind == "pdf" else data.decode("utf-8", errors="replace")
        if text.strip():
            found.append(Attachment(name, clean(text)))
    return tuple(found)


def pdf_text(data: bytes) -> str:
    """The text of a PDF (empty when it has none or cannot be read)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    except (PdfReadError, ValueError, OSError) as exc:
        log.warning("PDF attachment unreadable: %s", exc)
        return ""
