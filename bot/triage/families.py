"""Shape families: failure lines recognised by their form, whatever tool printed them.

The tool tables in `rules` know particular formats; a family knows a *shape* that many tools share:
`file:line[:col]` followed by a severity or a rule code, a bracketed or symbol failure mark, assertion
phrasing, an uncaught-exception or traceback header, a resolution failure of a package manager.
A family may also say which lines continue a block it starts (`joins`) and which lines say that an
earlier error was recovered from (`recovers`). Families are listed by name so that a benchmark can
leave one out and see what it is worth (bench/triage_loro.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.triage.category import Category
from bot.triage.rules import Rule

T, C, L, D = Category.TEST, Category.COMPILE, Category.LINT, Category.DEPENDENCY
CFG, U = Category.CONFIG, Category.UNKNOWN
_I = re.IGNORECASE

# A source file as compilers name it: a path ending in the extension of a compiled language.
_COMPILED = r"(?:go|c|cc|cpp|cxx|h|hh|hpp|m|mm|rs|swift|java|kt|scala|cs|fs|hs|ml|nim|zig|d|f90|pas|cr|vala|dart)"
_PATH = r"[\w.@~+/\\-]*[\w-]\.[A-Za-z]\w{0,5}"
_RULE_CODE = r"(?:[A-Z]{1,5}\d{2,5}|[A-Za-z]+(?:[-/][A-Za-z0-9]+)+)"


@dataclass(frozen=True)
class Family:
    """Rules for one line shape; `gate` is a cheap substring pre-check on the lower-cased line."""

    name: str
    rules: tuple[Rule, ...]
    gate: tuple[str, ...] = ()
    joins: re.Pattern[str] | None = None
    recovers: re.Pattern[str] | None = None

    def score(self, text: str, low: str) -> tuple[float, Category]:
        """The highest weight of the family's rules that match the line, and its category."""
        if self.gate and not any(g in low for g in self.gate):
            return 0.0, U
        best = (0.0, U)
        for rule in self.rules:
            if rule.weight > best[0] and rule.pattern.search(text):
                best = (rule.weight, rule.category)
        return best


def _r(pattern: str, weight: float, category: Category, flags: int = 0) -> Rule:
    return Rule(re.compile(pattern, flags), weight, category)


DIAGNOSTIC = Family("diagnostic", (
    # path:line[:col] then a symbol mark or a severity word, e.g. "src/a.js:3:7 ✖ no-undef"
    _r(r"^\s*" + _PATH + r"[:(]\s?\d+(?:[:,]\d+)?\)?:?\s+(?:[✖✗✘×]|error\b|fatal\b)", 8, L),
    # path:line[:col] then a rule code, e.g. "docs/a.md:12:1 MD013/line-length", "x.lua: 12: W211"
    _r(r"^\s*" + _PATH + r":\s?\d+(?::\s?\d+)?:?\s+\[?" + _RULE_CODE + r"\b", 7, L),
    # a compiler's diagnostic with no severity word (go build, swiftc): "./main.go:12:5: undefined: x" (a
    # runtime message names a line but rarely a column)
    _r(r"^\s*(?:\./)?[\w.@~+/\\-]*\." + _COMPILED + r":\d+:\d+: (?!warning|note|info|assert|panic|expect)\S", 8, C),
    _r(r"^\s*(?:\./)?[\w.@~+/\\-]*\." + _COMPILED + r":\d+:\d+: (?:undefined|cannot|expected|unknown|not "
       r"enough|too many|missing|invalid|syntax)", 9, C),
), gate=(":",))

MARKS = Family("marks", (
    # a failure mark opening the line: "[-] test", "[FAIL] x", "✗ x", "✘ x", "FAIL: x", "[x] x"
    _r(r"^\s*\[\s*(?:-|x|✗|✘|×|FAIL(?:ED|URE)?|ERR(?:OR)?|NOK|KO|BROKEN|ABORT(?:ED)?)\s*\]\s*\S", 7, T),
    _r(r"^\s*(?:[✖✗✘×❌⨯]|\(x\))\s*\S", 7, T),
    _r(r"^\s*(?:FAIL(?:ED|URE)?|NOT OK|BROKEN)\b\s*[:!\-]?\s+\S|^\s*not ok\b", 6, T),
    # a bare header over a list of failures: "Failure:", "Failures:", "Errors:", "Failed tests:"
    _r(r"^\s*(?:Failures?|Errors?|Failed(?: tests| specs| examples)?|Failing tests?)\s*[:!]\s*$", 7, T, _I),
    _r(r"^\s*(?:Failure|Error)\s*:\s+\S", 6, T),
), gate=("[", "✖", "✗", "✘", "×", "❌", "⨯", "(x)", "fail", "not ok", "broken", "error"))

ASSERTIONS = Family("assertions", (
    _r(r"\bexpected\b.{0,200}?\b(?:but (?:was|got|found|received|is)|got|received|actual|instead)\b", 7, T, _I),
    _r(r"^\s*(?:expected|actual|received|got|wanted?)\b(?:\s+\w+)?\s*[:=]\s*\S", 5, T, _I),
    # (not a stack frame that merely names an assertion library's fail())
    _r(r"^(?!\s*at\s)(?!.*\bfail\()(?=.*\bassert(?:ion)?s?\b.{0,80}\b(?:fail|error|not (?:equal|true|satisfied)))", 8,
       T, _I),
    _r(r"^\s*(?:Assertion|AssertionError|assert)\b.*[=!<>]=", 6, T),
), gate=("expect", "actual", "receiv", "got", "want", "assert"), joins=re.compile(
    r"^\s*(?:[-+]\s|@@|[<>] |(?:expected|actual|received|got|diff)\b)", _I))

EXCEPTIONS = Family("exceptions", (
    _r(r"\b(?:uncaught|unhandled)\b.{0,40}?(?:exception|error|rejection|throw|signal|promise|panic)", 9, T, _I),
    # an exception or error type named at a line's head or after a prefix: "main: RuntimeError: boom"
    _r(r"^(?:[\w.\[\]-]+:\s)?[\w.$]*[A-Z]\w*(?:Error|Exception|Failure)\b(?::\s|\s*$)", 7, T),
    _r(r"^\s*(?:stack traceback|traceback|backtrace|call stack|stack trace)\s*(?:\(.*\))?:?\s*$", 7, T, _I),
    # an interpreter's "prog: file:line: message" (lua, perl-style)
    _r(r"^[\w.-]+: " + _PATH + r":\d+: \S", 8, T),
    _r(r"^\s*(?:Exception in thread|Fatal error:|PHP Fatal|terminate called|Abort(?:ed)? trap|\w+ died at\b)", 9, T),
    _r(r"\b(?:raised|threw|thrown|throws)\b.{0,40}\b\w*(?:Error|Exception)\b", 6, T),
), gate=("uncaught", "unhandled", "trace", "call stack", ": ", "exception", "fatal", "terminate", "abort",
         "died", "rais", "threw", "thrown", "throws"), joins=re.compile(
    r"^\s*(?:\[C\]|\(tail call\)|\.{3}|in (?:function|method|main chunk)|from \S+:\d+|#\d+\s)|^\S+:\d+: in "))

USAGE = Family("usage", (
    _r(r"\b(?:illegal|invalid|unknown|unrecognized|unsupported|bad) (?:option|flag|argument|switch)\b", 8, CFG, _I),
    _r(r"^\s*usage:\s*\S", 4, CFG, _I),
    _r(r"\b(?:requires an argument|missing (?:required )?(?:argument|operand|option))\b", 8, CFG, _I),
), gate=("option", "flag", "argument", "switch", "usage", "operand"), joins=re.compile(r"^\s*(?:usage:|-{1,2}\w|\[-)", _I))

RESOLUTION = Family("resolution", (
    # any package manager or build tool that cannot resolve, download or find what the build needs
    _r(r"\b(?:could not|couldn't|cannot|can't|unable to|failed to|fails to)\s+(?:be\s+)?(?:resolve[ds]?|download"
       r"|fetch|find|locate|install|retrieve|transfer|read artifact descriptor|collect|satisfy)\b.{0,120}?"
       r"\b(?:plugins?|dependenc(?:y|ies)|packages?|artifacts?|modules?|gems?|crates?|versions?|wheels?"
       r"|distributions?|pom|jar|libraries|library|requirements?)\b", 9.5, D, _I),
    _r(r"\b(?:errors?|failures?|exception|problems?)\b.{0,20}\bresolv(?:e|ing)\b", 9, D, _I),
    _r(r"\b(?:plugins?|dependenc(?:y|ies)|packages?|artifacts?|gems?|crates?|pom)\b.{0,120}?"
       r"\b(?:could not be (?:resolved|found|downloaded)|(?:was )?not found in|unresolvable|is not available)", 8, D, _I),
    _r(r"\b(?:PluginResolutionException|DependencyResolutionException|ArtifactResolutionException"
       r"|Non-resolvable (?:parent|import) POM|unresolved dependency|version solving failed"
       r"|dependency resolution failed|conflicting requirements)", 9, D, _I),
), gate=("resol", "download", "fetch", "find", "found", "locate", "install", "retriev", "transfer", "collect",
         "satisf", "available", "exist", "version solving", "conflicting"))

REPORTS = Family("reports", (
    # a checker's list of bad links or entries: "  3. https://x.org/a → 404", "[✖] http://x (404)"
    _r(r"https?://\S+\s.{0,40}?(?:(?:\b(?:HTTP|status|code)\b|[→>=:|-])\s*[45]\d\d\b|[(\[][45]\d\d\b"
       r"|\b[45]\d\d (?:Not Found|Forbidden|Gone|Client Error|Server Error)|\b(?:dead|broken|unreachable) link)", 6, U, _I),
), gate=("http",), joins=re.compile(
    r"^\s*\d+[.)]\s+\S|^\s*(?:\S+\s+)?https?://|^\s*[\[\]{}],?\s*$|^\s*\"[^\"]+\"\s*:|^[-+](?![-+])\S|^\s*[\[{]\s*\""))

# Lines after an error that show the job went on: the error was not what failed it.
# Lines after an error that show the job went on without it: the error was not what failed it. (A retry
# is not a recovery: the same failure often repeats, and the first report of it is the one to show.)
RECOVERY = Family("recovery", (), recovers=re.compile(
    r"\b(?:falling back|fall(?:s|ing)? back to|fallback to|trying (?:another|the next|next|alternative|to download from)"
    r"|using (?:cached|the cached|fallback|default|a cached|the default)|continuing (?:anyway|without)"
    r"|installing from source|building from source|(?:is|was|will be) ignored|ignoring (?:the )?(?:error|failure))\b",
    _I))

FAMILIES: tuple[Family, ...] = (DIAGNOSTIC, MARKS, ASSERTIONS, EXCEPTIONS, USAGE, RESOLUTION, REPORTS, RECOVERY)


def family_score(families: tuple[Family, ...], text: str) -> tuple[float, Category]:
    """The best (weight, category) any family gives a cleaned line."""
    low = text.lower()
    best = (0.0, U)
    for family in families:
        if family.rules:
            found = family.score(text, low)
            if found[0] > best[0]:
                best = found
    return best


def joins(families: tuple[Family, ...], text: str) -> bool:
    """True when a family says the line continues the block before it."""
    return any(f.joins is not None and f.joins.search(text) for f in families)


def recovers(families: tuple[Family, ...], text: str) -> bool:
    """True when a family says the line recovers from an earlier error."""
    return any(f.recovers is not None and f.recovers.search(text) for f in families)
