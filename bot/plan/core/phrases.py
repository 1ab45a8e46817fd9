"""Word lists and phrase finders for the model-free planner: section kinds, titles, ids, NFRs, estimates."""

from __future__ import annotations

import re
import unicodedata

FILLER = {"a", "an", "and", "the", "of", "our", "for", "to", "in", "with", "details", "considerations",
          "section", "key", "main", "general", "list", "high", "level", "initial", "proposed"}
KINDS = (  # (kind, vocabulary, core words of which one must appear; None = any vocabulary word)
    ("nfr", {"non", "nonfunctional", "functional", "nfr", "nfrs", "performance", "security", "scalability",
             "reliability", "availability", "compliance", "privacy", "quality", "attributes", "sla", "slas", "slo",
             "slos", "requirements", "constraints", "targets", "operational"},
     {"non", "nonfunctional", "nfr", "nfrs", "performance", "security", "scalability", "reliability",
      "availability", "compliance", "privacy", "quality", "sla", "slas", "slo", "slos", "operational"}),
    ("tech", {"technical", "technology", "tech", "infrastructure", "infra", "architecture", "architectural",
              "platform", "enabler", "enablers", "runway", "requirements", "design", "stack", "approach",
              "components", "implementation", "foundations", "foundation", "notes"},
     {"technical", "technology", "tech", "infrastructure", "infra", "architecture", "architectural", "platform",
      "enabler", "enablers", "runway", "stack", "implementation", "foundations", "foundation"}),
    ("risk", {"risk", "risks", "assumptions", "concerns", "mitigation", "mitigations"}, None),
    ("milestone", {"milestone", "milestones", "timeline", "schedule", "roadmap", "phases", "dates", "release",
                   "releases", "plan"}, {"milestone", "milestones", "timeline", "schedule", "roadmap", "phases",
                                         "dates", "release", "releases"}),
    ("deps", {"dependencies", "dependency", "prerequisites", "ordering", "order", "sequencing"},
     {"dependencies", "dependency", "prerequisites", "ordering", "sequencing"}),
    ("vision", {"vision", "goal", "goals", "overview", "summary", "background", "context", "problem", "statement",
                "motivation", "why", "objective", "objectives", "description", "introduction", "intro", "about",
                "purpose", "pi"}, None),
    ("acceptance", {"acceptance", "criteria", "success", "done", "when", "definition"}, {"acceptance", "criteria",
                                                                                         "success"}),
    ("container", {"features", "feature", "scope", "requirements", "functional", "functionality", "user", "stories",
                   "story", "capabilities", "deliverables", "must", "should", "could", "nice", "have", "epic",
                   "breakdown", "use", "cases", "work", "items", "mvp", "phase", "1", "2", "3"},
     {"features", "feature", "scope", "requirements", "functional", "functionality", "stories", "capabilities",
      "deliverables", "must", "should", "could", "nice", "breakdown", "cases", "mvp"}),
)
IGNORED = re.compile(r"out of scope|non[- ]?goals?|not in scope|open questions?|^questions?\b|references|appendix|"
                     r"glossary|alternatives|\bfaq\b|stakeholders|definition of done|^links?\b|further reading|^notes?$", re.I)
VERBS = set("""accept add allow approve archive assign audit authenticate authorize automate back backup bill book
browse build cache calculate cancel capture change check choose collect compare complete compute configure connect
convert create deduplicate define delete deliver deploy design detect display download edit email enable encrypt
enforce establish estimate expose extend export fetch filter find follow generate get give handle hide host import
improve index install integrate introduce invite launch let limit link list load lock log make manage measure merge
migrate monitor move notify offer onboard open optimize order pay persist pick preview print process protect provide
publish queue rank rate read receive recommend record redirect refactor refund register reject remind remove rename
render replace reply report request reset restore retry return review rotate route run save scale schedule search
secure select send serve set share ship show sign sort split start stop store stream submit subscribe suggest support
switch sync synchronize test track transfer translate unify update upgrade upload use validate verify view write""".split())
STOP = {"a", "an", "the", "and", "or", "of", "for", "to", "in", "on", "with", "by", "via", "from", "at", "as", "new",
        "basic", "simple", "initial", "feature", "enabler", "our", "my", "your", "their", "its", "be", "is", "are", "up",
        "user", "users", "all", "any", "some", "this", "that", "it", "can", "will", "should", "must", "per", "into",
        "so", "we", "they", "them", "out", "based", "using", "support", "when"}
PERF = re.compile(r"\b(p\d{2}|latency|response times?|throughput|qps|rps|tps|req/s|requests? per (?:second|minute)|"
                  r"uptime|availability|available|concurrent|load time|page loads?|ms|milliseconds|seconds|"
                  r"within \d+\s*s|rpo|rto|mttr|error rate|cpu|memory|scales?|scalability)\b", re.I)
SECURITY = re.compile(r"\b(tls|ssl|https|aes|rsa|sha-?\d*|encrypt\w*|hash\w*|bcrypt|argon2\w*|mfa|2fa|oauth\s*2?\S*|"
                      r"oidc|jwt|owasp|pci|gdpr|hipaa|soc\s*2|rbac|pii|mask\w*|secrets?|tokens?|passwords?|"
                      r"sessions?|lockout|locked|brute|audit|retention|csrf|xss|cve\w*|penetration|vulnerab\w*)\b",
                      re.I)
# A quantity with a unit or a versioned protocol: "200 ms", "99.9 %", "500 QPS", "TLS 1.3", "AES-256".
# A bare number ("#7570", "2025") is not a target.
QUANTITY = re.compile(
    r"(?<![#\w])\d+(?:[.,]\d+)?\s*(?:%|ms\b|s\b|sec|second|min|minute|h\b|hour|day|[kmgt]?b\b|[kmgt]i?b\b|"
    r"bytes?|qps|rps|tps|req|request|user|connection|x\b|bit)"
    r"|\b(?:p\d{2,3}|tls\s*v?1\.\d|aes-?\d{3}|sha-?\d{3}|rsa-?\d{4}|oauth\s*2|http/\d)"
    r"|\d+\s*(?:毫秒|秒|分钟|小时|天|个用户|并发|ミリ秒|秒|밀리초|초)",
    re.I)
AMOUNT = r"(\d+(?:\.\d+)?)\s*(h|hrs?|hours?|d|days?|w|weeks?)\b"
ESTIMATE = re.compile(rf"[(\[][^()\[\]]*?{AMOUNT}[^()\[\]]*[)\]]|\b(?:estimate[ds]?|effort|size)\s*[:=]?\s*~?\s*{AMOUNT}",
                      re.I)
PRIORITY = re.compile(r"\bpriority\s*[:=]?\s*(high|medium|low)\b|\b(high|medium|low)[ -]priority\b|\b(p[0-3])\b|"
                      r"\b(must|should|could|nice)[ -](?:have|to[ -]have)\b", re.I)
PRIORITY_WORDS = {"p0": "high", "p1": "high", "p2": "medium", "p3": "low", "must": "high", "should": "medium",
                  "could": "low", "nice": "low"}
META = re.compile(r"\s*[(\[][^()\[\]]*(?:\d\s*(?:h|hrs?|hours?|d|days?|w|weeks?)\b|priority|\bp[0-3]\b)[^()\[\]]*"
                  r"[)\]]\s*", re.I)
INLINE_META = re.compile(r"[,;]?\s*\b(?:priority|estimate[ds]?|effort)\s*[:=]\s*[\w.]+(?:\s*(?:h|hours?|d|days?))?", re.I)
LEADING_NOISE = re.compile(r"^(?:(?:feature|enabler|epic|story|capability|f|e)\s*\d*\s*[:.)\-–—]\s*|\d+[.)]\s*)",
                           re.I)


def words(text: str) -> list[str]:
    """Lowercase alphanumeric words of `text`, ASCII-folded."""
    return re.findall(r"[a-z0-9]+", ascii_fold(text).lower())


def ascii_fold(text: str) -> str:
    """`text` with accents removed and other non-ASCII characters dropped."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def section_kind(heading: str) -> str:
    """What a heading introduces: nfr, tech, risk, milestone, deps, vision, acceptance, container,
    ignore, or feature."""
    if IGNORED.search(heading.strip()):
        return "ignore"
    found = set(words(heading)) - FILLER
    for kind, vocabulary, core in KINDS:
        if found and found <= vocabulary and found & (core or vocabulary):
            return kind
    return "feature"


def significant(text: str) -> list[str]:
    """Words that carry meaning (no stop words, no leading verb), lightly stemmed, for matching titles."""
    found = words(text)
    if found and found[0] in VERBS:
        found = found[1:]
    return [_stem(w) for w in found if (w not in STOP or w in ("user", "users")) and not w.isdigit()]


def _stem(word: str) -> str:
    """Drop a plural -s, but keep words like redis, status, class, analytics, kubernetes whole."""
    keep = word.endswith(("is", "us", "ss", "as", "os", "ics")) or word in ("kubernetes", "series", "news")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not keep else word


def id_part(text: str, fallback: str) -> str:
    """The <DOMAIN>/<TECH> part of an id: the first significant word, uppercase ASCII, at most 12 characters."""
    found = words(text)
    for word in found[1:] if found and found[0] in VERBS else found:
        if word not in STOP and word[0].isalpha():
            return _stem(word).upper()[:12]
    return fallback


def clean_title(text: str) -> str:
    """A heading or bullet without numbering, `Feature:` prefixes, Markdown emphasis and meta (estimates, priority)."""
    text = INLINE_META.sub("", META.sub(" ", text))
    text = re.sub(r"[*_`]+", "", text).strip()
    text = LEADING_NOISE.sub("", text).strip()
    return " ".join(text.split()).rstrip(".:;")


def verb_object(text: str, verb: str) -> str:
    """`text` as a verb-object title: kept when it starts with a verb, else prefixed with `verb`."""
    first = words(text)[:1]
    if first and first[0] in VERBS and len(text.split()) > 1:
        return text[0].upper() + text[1:]
    head, _, rest = text.partition(" ")
    if head[1:] == head[1:].lower():
        head = head[0].lower() + head[1:]
    return f"{verb} {head} {rest}".strip()


def estimate_hours(text: str) -> float | None:
    """Hours from `(16h)`, `[2d]`, `estimate: 3 days` (a day is 8 h, a week 40 h); None when absent."""
    match = ESTIMATE.search(text)
    if not match:
        return None
    amount, unit = (match[1], match[2]) if match[1] else (match[3], match[4])
    value = float(amount) * {"d": 8, "w": 40}.get(unit[0].lower(), 1)
    return value if value > 0 else None


def priority(text: str) -> str | None:
    """high|medium|low from `priority: high`, `(P1)`, `must have` …; None when absent."""
    match = PRIORITY.search(text)
    if not match:
        return None
    word = next(group for group in match.groups() if group).lower()
    return PRIORITY_WORDS.get(word, word)


def nfr_kind(line: str, *, in_nfr_section: bool = False) -> str | None:
    """performance|security when `line` states a quantified NFR, else None.

    A line needs a quantity with a unit (`200 ms`, `99.9 %`, `TLS 1.3`; a bare `#7570` or year is not one).
    Inside an NFR section that is enough (security when it names security terms); elsewhere the line
    also needs performance or security vocabulary.
    """
    line = META.sub(" ", line)
    if not QUANTITY.search(line):
        return None
    if SECURITY.search(line):
        return "security"
    if PERF.search(line) or in_nfr_section:
        return "performance"
    return None
