"""Where the secrets are in a text: spans for `bot.redact.redact` to mask.  PURE.

Three sources, merged: detect-secrets' regex plugins (AWS, GitHub, GitLab, Slack, Stripe, JWT, npm,
PyPI, OpenAI, Azure storage, Twilio … maintained upstream, used through `analyze_string`, not its
CLI); teabot's own patterns for what those miss (URL userinfo, `--password X`, `AccountKey=`, Vault
`hvs.`, assignments to secret-named keys, base64 `user:pass`, 32+ hex digits outside a commit or
digest context); and an entropy check for long random-looking tokens. A token split across lines
is found by joining each line's last word to the next line's first. A secret-named key followed
by prose ("TEABOT_GITEA_TOKEN: must be …") is a description, not a value, and is kept.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache

Span = tuple[int, int]

_PEM = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----.*?(?:-----END \1-----|\Z)", re.DOTALL)
_USERINFO = re.compile(r"(?<=://)([^\s/@'\"<>]*:[^\s/@'\"<>]*|[^\s/@:'\"<>]{16,})(?=@)")
_HEADER = re.compile(r"(?i)\b(?:proxy-)?authorization\s*[:=]\s*[\"']?(?:(?:bearer|token|basic|digest|bot)\s+)?"
                     r"(?!(?:bearer|token|basic|digest|bot)\b)([A-Za-z0-9._~+/=\-]{6,})")
_KNOWN = re.compile(
    r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_\-]{16,}|gl(?:ptt|dt|rt|cbt)-[\w\-]{16,}"
    r"|xox[abposre]-[A-Za-z0-9\-]{10,}|xapp-[\w\-]{10,}|sk-(?:proj-|live-|test-|ant-(?:api\d+-)?)?[A-Za-z0-9_\-]{20,}"
    r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{16,}|(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}"
    r"|AIza[0-9A-Za-z_\-]{35}|npm_[A-Za-z0-9]{36}|pypi-[A-Za-z0-9_\-]{40,}|hv[sbr]\.[A-Za-z0-9_\-]{20,}"
    r"|hf_[A-Za-z0-9]{30,}|dop_v1_[a-f0-9]{64}|shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}|SG\.[\w\-]{16,}\.[\w\-]{16,}"
    r"|dapi[a-f0-9]{32}|gta_[A-Za-z0-9]{20,}|AC[a-f0-9]{32}|SK[a-f0-9]{32}|ya29\.[\w\-]{20,}|AGE-SECRET-KEY-1\w{50,})"
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}")
_KEYVALUE = re.compile(r"(?i)\b(?:AccountKey|SharedAccessKey|SharedAccessSignature|sig|Password|Pwd|ApiKey|Secret)"
                       r"\s*=\s*([^;\s\"'&]{6,})")
_FLAG = re.compile(r"(?i)(?<![\w-])--?(?:password|passwd|pass|token|api-?key|secret|auth-token|access-key|client-secret"
                   r"|private-key|key-password|storepass|keypass)(?:[ =]+)(?![-\s])(\"[^\"\n]+\"|'[^'\n]+'|[^\s\"']+)")
_ASSIGNMENT = re.compile(
    r"(?i)(?<![\w-])[\w.-]*(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|auth"
    r"|private[_-]?key|client[_-]?secret|credentials?)[\w.-]*[\"']?[ \t]*(?:=|:|=>)[ \t]*"
    r"(\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&\"'}\])]+)([ \t]+[A-Za-z]+)?"
)
_PLACEHOLDER = re.compile(r"^(?:\[REDACTED\]?|\$.*|\*+|x+|\.+|\[secure\]|<[^>]*>|\$\{?\{?[\w.\s]+\}?\}?|%\w+%|null|none"
                          r"|nil|true|false|yes|no|on|off|required|optional|changeme|example|string|str|bytes|int|bearer|basic|token|digest|"
                          r"\w+\(.*|[\w.]+\[|[\w.]+\.[\w.]+|[\w\[\]]+\[\S*\]|self\.\w+|\w+_(?:token|key|secret|password)|)$", re.I)
_PROSE_WORDS = frozenset("a an the is are be must should may can will see set use your this that not none of to for in on "
                         "if when with and or from by as it see required optional".split())
_HEX = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{32,}(?![0-9A-Za-z])")
_HEX_CONTEXT = re.compile(r"(?i)(?:commit|sha\d*|revision|rev|tree|blob|parent|head|merge|ref|checksum|digest|hash|md5"
                          r"|object|id|sum|/commits?/|/src/|/blob/|/tree/|@|\bat)[\s:=#'\"(/]*$")
_WORD = re.compile(r"[A-Za-z0-9+/_=\-.]{24,}")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{12,}={0,2}(?![A-Za-z0-9+/=])")
_FRAGMENT_END = re.compile(r"([A-Za-z0-9_\-+/=.]{6,})[\"'\\]?\s*$")
_FRAGMENT_START = re.compile(r"^\s*[\"'+]*\s*([A-Za-z0-9_\-+/=.]{6,})[\"',;)\\]*\s*$")


@lru_cache(maxsize=1)
def _plugins() -> tuple:
    """detect-secrets' regex detectors (loaded once per process, from a cache of their patterns when it matches
    the installed library: importing the library costs more than scanning a large log)."""
    from bot.security.secret_plugins import detectors

    return detectors()


def find(text: str) -> list[Span]:
    """The merged, sorted spans of every secret in `text`."""
    spans = [*_regex_spans(text), *_library_spans(text), *_hex_spans(text), *_entropy_spans(text),
             *_base64_spans(text), *_split_spans(text)]
    return _merge(spans)


def _regex_spans(text: str) -> Iterator[Span]:
    for match in _PEM.finditer(text):
        yield match.span()
    for pattern in (_USERINFO, _HEADER, _KNOWN, _KEYVALUE, _FLAG):
        for match in pattern.finditer(text):
            yield match.span(1)
    for match in _JWT.finditer(text):
        yield match.span()
    for match in _ASSIGNMENT.finditer(text):
        if _is_value(match.group(1), match.group(2)):
            yield match.span(1)


def _is_value(value: str, next_word: str | None) -> bool:
    """False for placeholders and for a description: a plain word followed by more prose."""
    bare = value.strip("\"'")
    if _PLACEHOLDER.match(bare):
        return False
    if value[0] not in "\"'" and (bare.lower() in _PROSE_WORDS or next_word and bare.isalpha()):
        return False
    return True


def _library_spans(text: str) -> Iterator[Span]:
    for plugin in _plugins():
        for secret in set(plugin.analyze_string(text)):
            if len(secret) >= 8:
                yield from ((m.start(), m.end()) for m in re.finditer(re.escape(secret), text))


def _hex_spans(text: str) -> Iterator[Span]:
    for match in _HEX.finditer(text):
        if not _HEX_CONTEXT.search(text[max(0, match.start() - 24):match.start()]):
            yield match.span()


def entropy(word: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(word)
    return -sum(n / len(word) * math.log2(n / len(word)) for n in counts.values())


def looks_random(word: str) -> bool:
    """A long token mixing letters and digits with high entropy (not a path, not a dotted name)."""
    core = word.strip("=.-_")
    if len(core) < 24 or "/" in core.strip("/") and core.count("/") > 2 or re.fullmatch(r"[\w.]+\.[a-z]{2,4}", core):
        return False
    letters, digits = sum(c.isalpha() for c in core), sum(c.isdigit() for c in core)
    upper, lower = sum(c.isupper() for c in core), sum(c.islower() for c in core)
    mixed = digits >= 2 and letters >= 6 and (upper >= 2 and lower >= 2 or digits >= 6)
    return mixed and entropy(core) >= 4.0 and not re.fullmatch(r"[0-9a-fA-F\-]+", core)


def _entropy_spans(text: str) -> Iterator[Span]:
    for match in _WORD.finditer(text):
        if looks_random(match.group()):
            yield match.span()


def _base64_spans(text: str) -> Iterator[Span]:
    """Base64 that decodes to `user:password` (Basic credentials, Docker `auth` entries)."""
    for match in _BASE64.finditer(text):
        word = match.group()
        if len(word) % 4:
            continue
        try:
            decoded = base64.b64decode(word, validate=True).decode("ascii")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if re.fullmatch(r"[\x21-\x7e]{1,64}:[\x21-\x7e]{3,}", decoded):
            yield match.span()


def _split_spans(text: str) -> Iterator[Span]:
    """A token cut over two or three lines: the joined pieces match a known token or look random."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    for i in range(len(lines) - 1):
        end, nxt = _FRAGMENT_END.search(lines[i].rstrip("\r\n")), _FRAGMENT_START.match(lines[i + 1])
        if not end or not nxt:
            continue
        joined = end.group(1) + nxt.group(1)
        if _KNOWN.fullmatch(joined) or _JWT.fullmatch(joined) or looks_random(joined) or _split_hex(joined):
            yield starts[i] + end.start(1), starts[i] + end.end(1)
            yield starts[i + 1] + nxt.start(1), starts[i + 1] + nxt.end(1)


def _split_hex(word: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-fA-F]{32,}", word))


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
