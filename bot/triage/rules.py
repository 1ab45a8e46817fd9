"""Line rules by tool family: how strongly a line states a failure, and of which kind.

Each rule is (pattern, weight, category). A line's score is the highest weight of the
positive rules it matches plus the (negative) weights of the noise rules it matches.
Weights: 10 states the cause outright, 7-9 a strong error line, 4-6 a wrapper or summary
line, 1-3 weak vocabulary. Patterns run on cleaned text (no ANSI, no CI prefixes).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.triage.category import Category

# Short names keep the rule tables readable.
T, C, L, D = Category.TEST, Category.COMPILE, Category.LINT, Category.DEPENDENCY
NET, TIME, RES, CFG, U = Category.INFRA, Category.TIMEOUT, Category.RESOURCE, Category.CONFIG, Category.UNKNOWN


@dataclass(frozen=True)
class Rule:
    """One pattern with the weight and category it gives a matching line."""

    pattern: re.Pattern[str]
    weight: float
    category: Category


def _rules(table: list[tuple[str, float, Category]], flags: int = 0) -> tuple[Rule, ...]:
    return tuple(Rule(re.compile(p, flags), w, c) for p, w, c in table)


_EXC = r"(?:[A-Za-z_$][\w$]*\.)*[A-Z]\w*(?:Error|Exception|Exit|Failure|Interrupt|Fault)"

TESTS = _rules([
    (r"^\s*--- FAIL: \S", 10, T),                                   # go test
    (r"^FAIL\s+\S+\s+[\d.]+s$|^FAIL\s*$|^FAIL\s+\S+\s+\[build failed\]", 5, T),
    (r"^\s+\S+_test\.go:\d+: ", 8, T),
    (r"^panic: ", 9, T),
    (r"^(?:FAIL|ERROR): [\w.\[\]/:-]+(?: \([\w.]+\))?\s*$", 10, T),   # unittest, nose
    (r"^_{3,} .+ _{3,}$", 6, T),                                    # pytest test header
    (r"^E {2,}\S", 8, T),                                           # pytest assertion detail
    (r"^(?:FAILED|ERROR) \S+::\S*", 7, T),                          # pytest short summary
    (r"^=+ .*\b\d+ (?:failed|errors?)\b.* =+$", 6, T),
    (r"^\S+\.py:\d+: (?:in \S+|" + _EXC + r")", 6, T),
    (r"^test \S+ \.\.\. FAILED$|^---- \S+ stdout ----$", 9, T),    # cargo test
    (r"thread '[^']*' panicked at", 9, T),
    (r"^test result: FAILED|^error: test failed", 6, T),
    (r"^\s*FAIL\s+\S+\.(?:[jt]sx?|mjs|cjs|vue)\b", 9, T),           # jest
    (r"^\s*● (?!.*(?:Console|Deprecation))\S", 9, T),
    (r"^\s*Tests?:\s+\d+ failed", 5, T),
    (r"^\s*\d+ failing\b|^\s*✖ \d+ of \d+ tests? failed", 6, T),    # mocha
    (r"^\s*\d+\) \S.*[:]$|^\s*\d+\) \S[^()]*$|^\s*\d+\) $", 6, T),
    (r"^\s*\d+\) test .+ \(.+\)$", 10, T),                          # ExUnit
    (r"^not ok \d+", 8, T),                                         # TAP
    (r"Dubious, test returned|^Failed \d+/\d+ (?:subtests|test programs)", 9, T),
    (r"<<< (?:FAILURE|ERROR)!", 10, T),                             # surefire
    (r"^\[ERROR\] (?:Tests run:|Failures:|Errors:|Tests in error:|Failed tests:)", 7, T),
    (r"^\[ERROR\]\s+\S+[.:#]\w+:\d+ ", 8, T),
    (r"Tests run: \d+, Failures: (?:[1-9]|\d+, Errors: [1-9])", 6, T),
    (r"^\S.* > \S.* FAILED$", 9, T),                                # gradle test
    (r"^\d+ tests? completed, \d+ failed", 6, T),
    (r"\*\*\* FAILED \*\*\*", 10, T),                               # scalatest
    (r"^\[error\] Failed: Total|^\[error\] Failed tests:", 6, T),
    (r"AssertionError|AssertionFailedError|Assertion failed|assert(?:ion)? .* failed", 8, T),
    (r"\bexpected:? .{0,120}\b(?:but (?:was|got|actual)|got|actual|to (?:be|equal|have))\b", 6, T),
    (r"^\s*\+ expected - actual", 6, T),
    (r"^\s*(?:" + _EXC + r")(?: \[\w+\])?(?::|$)", 7, T),           # exception lines
    (r"\bfailed on line \d+|^\s*Reason: \S", 8, T),
    (r"^\s*\d+\. (?:Failure|Error)(?: \(|: )", 8, T),                  # testthat
    (r"^Traceback \(most recent call last\)", 7, T),
    (r"^\s*\*\* \([\w.]+\)", 9, T),                                 # elixir
    (r"=ERROR REPORT====|CRASH REPORT", 6, T),
    (r"\b(?:Segmentation fault|core dumped|SIGSEGV|SIGABRT|Aborted \(core)", 9, T),
    (r"^\s*(?:✖|✗|×)\s+\S", 7, T),
    (r"\bTEST(?:S)? FAILED\b|\*\* TEST FAILED \*\*", 6, T),
])

COMPILERS = _rules([
    (r"^\S.*?:\d+(?::\d+)?:\s*(?:fatal )?error\b", 10, C),           # gcc, clang, go, swift, coffee
    (r"^\S.*?\(\d+,\d+\): error\b|\berror TS\d+:", 10, C),           # tsc, msbuild
    (r"^\[ERROR\] \S+\.\w+:\[\d+,\d+\] ", 10, C),                    # maven javac
    (r"^\S+\.(?:java|scala|kt):\d+: error:|^e: \S+\.kts?:", 10, C),
    (r"^error(?:\[E\d+\])?: (?!test failed|build failed|could not compile|aborting)", 9, C),  # rustc
    (r"^error: (?:could not compile|aborting due to)", 6, C),
    (r"\bundefined reference to\b|\bld returned \d+ exit status|^collect2: error", 9, C),
    (r"\bcannot find symbol\b|\bcannot resolve symbol\b|\bunresolved (?:import|reference)\b", 8, C),
    (r"\bCOMPILATION ERROR\b|^\[ERROR\] .*Compilation failure", 6, C),
    (r"\bSyntaxError\b|\bIndentationError\b|\bParseError\b|\bparse error\b", 9, C),
    (r"^❌\s+\S", 9, C),                                             # xcpretty
    (r"\*\* (?:TEST )?BUILD FAILED \*\*|\bBUILD FAILED\b|^error: build failed", 5, C),
    (r"^make(?:\[\d+\])?: \*\*\* .*(?:Error \d+|Stop\.)", 5, C),
    (r"^\s*(?:configure: error|CMake Error)\b", 9, C),
    (r"^Execution failed for task|^\* What went wrong:", 7, C),
    (r"^FAILURE: Build failed with an exception|^BUILD FAILURE$", 4, C),
])

LINTERS = _rules([
    (r"^\S+\.py:\d+:\d+: [A-Z]{1,3}\d{2,4}\b", 8, L),               # flake8, ruff, pycodestyle
    (r"^\s+\d+:\d+\s+error\s+\S", 8, L),                           # eslint stylish
    (r"^\s+\d+:\d+\s+warning\s+\S", 3, L),
    (r"^✖ \d+ problems? \(\d+ errors?", 7, L),
    (r"^\S+\.(?:[jt]sx?|coffee|vue|mjs):\d+(?::\d+)?:? .+ \([\w/@-]+\)$", 7, L),   # standard, coffeelint
    (r"^\S+\.rb:\d+:\d+: [CWEF]: ", 8, L),                         # rubocop
    (r"\bSC\d{4}\b", 6, L),                                         # shellcheck
    (r"^would reformat \S|^Oh no! .* files? would be|Code style issues found|^\S+ is not gofmt", 8, L),
    (r"\[ant:checkstyle\]|\bcheckstyle\b.*\b(?:error|violation)|^\[ERROR\] .*\.java:\d+(?::\d+)?: ", 8, L),
    (r"\blint(?:ing)? (?:failed|errors?)\b|\bstyle (?:check )?(?:failed|errors?)\b", 5, L),
    (r"^\S+\.py:\d+: error: ", 9, L),                               # mypy
])

DEPENDENCIES = _rules([
    (r"Could not find a version that satisfies|No matching distribution found|ResolutionImpossible"
     r"|Failed building wheel|pip's dependency resolver", 9, D),
    (r"\b(?:ModuleNotFoundError|ImportError): |\bNo module named\b|Cannot find module\b", 9, D),
    (r"^npm ERR! code (?!ELIFECYCLE)E\w+|^npm ERR! 404|\bERESOLVE\b|^npm ERR! peer dep", 7, D),
    (r"^npm ERR! (?!A complete log|\s*$|code ELIFECYCLE|errno 1|Failed at|This is probably|Exit status"
     r"|Tell the author|You can get|There is likely|Make sure|not with npm|\s+\S+@|Test failed|errno)", 4, U),
    (r"^error (?:An unexpected error occurred|Couldn't find (?:package|any versions)|Package \S+ not found)", 9, D),
    (r"^E: (?:Unable to locate package|Package .* has no installation candidate|Failed to fetch"
     r"|Could not get lock|Unable to fetch|Version .* was not found)", 9, D),
    (r"Could not resolve dependencies|Could not find artifact|Failed to read artifact descriptor"
     r"|could not be resolved|Could not transfer artifact|Failed to collect dependencies", 9, D),
    (r"Could not resolve (?:all (?:dependencies|files|artifacts)|\S+:\S+)|Could not find \S+:\S+:\S+", 9, D),
    (r"PackagesNotFoundError|UnsatisfiableError|ResolvePackageNotFound|conflicting dependencies", 9, D),
    (r"failed to select a version|no matching package named|failed to load source for dependency", 9, D),
    (r"cannot find module providing package|go: \S+: (?:missing|unknown revision|invalid version)"
     r"|\bgo\.sum\b.*missing|missing go\.sum entry", 9, D),
    (r"Could not find gem|Bundler could not find compatible|Gem::\w+Error", 9, D),
    (r"^\s*-\s+\S+=\S+$", 2, D),
])

INFRASTRUCTURE = _rules([
    (r"Could not resolve host|Temporary failure in name resolution|Name or service not known"
     r"|Connection (?:refused|reset|timed out)|Network is unreachable|\bE(?:CONNREFUSED|CONNRESET|TIMEDOUT"
     r"|AI_AGAIN|NOTFOUND)\b|getaddrinfo|TLS handshake|SSL(?:Error| certificate)|certificate verify failed", 8, NET),
    (r"\b50[0234]\b.{0,40}(?:Service Unavailable|Bad Gateway|Gateway Time-?out|Internal Server Error)"
     r"|The requested URL returned error: \d+|\b(?:HTTP|status code) 5\d\d\b|rate limit|toomanyrequests", 8, NET),
    (r"^fatal: |^error: RPC failed|Remote branch .* not found|couldn't find remote ref"
     r"|Could not read from remote repository|Failed to clone", 8, NET),
    (r"Error response from daemon|pull access denied|manifest unknown|Cannot connect to the Docker daemon", 9, NET),
    (r"^ERROR: (?!Job failed)\S", 6, NET),                             # Jenkins, GitLab runner
    (r"\brunner (?:system failure|has received a shutdown)|lost communication with the server", 8, NET),
])

LIMITS = _rules([
    (r"No space left on device|Disk quota exceeded", 10, RES),
    (r"Cannot allocate memory|[Oo]ut of memory|OutOfMemoryError|\bOOM\b|oom-kill|Java heap space"
     r"|GC overhead limit|JavaScript heap out of memory|MemoryError|^Killed\s*$|signal: killed"
     r"|exit code 137\b|\bKilled\b.*signal 9", 10, RES),
    (r"timeout of \d+m?s exceeded|\btimed out\b|TimeoutException|Timeout(?:Error)?:|deadline exceeded"
     r"|No output has been received in the last|has exceeded the maximum (?:execution )?time|took longer than"
     r"|execution expired|job (?:was )?cancell?ed|The job running on runner .* has exceeded", 8, TIME),
])

CONFIGURATION = _rules([
    (r"command not found|is currently not installed|: not found$|No such file or directory", 8, CFG),
    (r"flag provided but not defined|unrecognized (?:arguments?|option)|unknown (?:flag|option|command)\b"
     r"|Invalid workflow file|yaml: line \d+|mapping values are not allowed|is not a valid", 8, CFG),
    (r"[Pp]ermission denied|Operation not permitted|must be set|is not set\b|Missing required", 6, CFG),
    (r"^\s*Usage: ", 3, CFG),
])

WRAPPERS = _rules([
    (r"^\[ERROR\] Failed to execute goal", 8, U),
    (r"^\[ERROR\] (?:To see the full|Re-run Maven|For more information|\[Help \d\]|After correcting"
     r"|\s*mvn <goals>|-> \[Help)|^\[ERROR\]\s*$", 2, U),
    (r"^\[ERROR\] ", 5, U),
    (r"^\[error\] ", 5, U),
    (r"^##\[error\]|^::error\b", 6, U),
    (r"Build step .* marked build as failure|^ERROR: Job failed|script returned exit code [1-9]", 4, U),
    (r"^error Command failed with exit code|^npm ERR! (?:Test failed|code ELIFECYCLE)", 3, U),
    (r"The command \".*\" failed", 4, U),
    (r"\bPLEASE|Please (?:rebuild|run|commit|fix|update)", 3, U),
    (r"\b(?:errored|crashed) after\b|\berrored\b", 4, U),
    (r"\b(?:[Ff]ail(?:ed|ure)|FAIL(?:ED|URE))\b\W{0,3}\s*[Rr]eason\b:?\s*$", 8, U),     # "X failed! Reason:"
])

GENERIC = _rules([
    (r"\bERROR\b|\bFATAL\b|\bFAIL(?:ED|URE)?\b", 5, U),
    (r"^\s*[\w./\\-]+\.\w+(?::\d+|\(\d+(?:,\d+)?\)):?\s", 4, U),         # path:line diagnostics
    (r"\bError\b(?! messages?)", 4, U),
]) + _rules([
    (r"\bfatal\b", 6, U),
    (r"\berror\b\s*[:!]|^\s*error\b", 6, U),
    (r"\berror\b", 3, U),
    (r"\bfail(?:ed|ure|s|ing)?\b", 3, U),
    (r"\bexception\b|\bexceed(?:ed|s)?\b|\bviolat(?:ed|ion|ions)\b|\baborted\b", 3, U),
    (r"\b(?:cannot|can't|could not|couldn't|unable to|not found|does not exist|doesn't exist|unexpected"
     r"|invalid|denied|refused|missing|undefined|incompatible|mismatch|not allowed|forbidden)\b", 3, U),
], re.IGNORECASE)

NOISE = _rules([
    (r"\b0 (?:errors?|failures?|failed|failing)\b|Failures: 0, Errors: 0|\berrors?=0\b|\bno errors?\b"
     r"|without errors|\bwith 0 failures\b|Failed: 0\b", -6, U),
    (r"-Werror|-Wno-error|-Wformat|--fail-fast|\berror_?reporting\b|\bonerror\b|\bset -e\b|--exit-code"
     r"|fail-on|allow[_-]fail|continue-on-error|ignore[_-]errors?|\berrors?\.(?:c|h|go|py|js|ts|java|o|rs)\b"
     r"|\berror[-_](?:prone|handling|page|log)|\bfailsafe\b|\bfailover\b|exception[-_]handling", -5, U),
    (r"^\s*(?:WARNING|WARN|warning)\b|^npm WARN|\[(?:WARNING|warning|WARN|warn)\]|\bwarning:|^W: |DeprecationWarning",
     -3, U),
    (r"--- PASS|^ok\s+\S|✓|✔|\bPASS(?:ED)?\b|\b\d+ passed\b|\bpassing\b|\bsucceeded\b|\bSUCCESS\b", -4, U),
    (r"^\$ |^\[command\]|^##\[group\]|^::group::|^Run \S|^> [\w@./-]+ \S+$", -3, U),
    (r"^\s*(?:Downloading|Downloaded|Download|Fetching|Installing|Collecting|Requirement already"
     r"|Unpacking|Get:\d+|Setting up|Selecting previously|Preparing to|Progress)\b", -4, U),
    (r"exited with 0\b|exit code 0\b", -6, U),
    (r"^SKIPPED\b|\bSKIPPED \[|^XFAIL\b|\bxfail|\bskipped\b|\bignored\b", -6, U),
    (r"^\d\d:\d\d:\d\d(?:\.\d+)? \[(?:info|debug|notice)\]|^\[?(?:INFO|DEBUG)\]? ", -4, U),
])

# Report sections: (opening line, closing line). Everything between them is one block.
SECTIONS = tuple((re.compile(a), re.compile(b)) for a, b in [
    (r"^=+ (?:FAILURES|ERRORS) =+$", r"^=+ .+ =+$|^-+ coverage"),                      # pytest
    (r"^failures:$", r"^test result: |^error: test failed"),                              # cargo test
    (r"^\[ERROR\] (?:Failures|Errors|Tests in error|Failed tests):\s*$|^(?:Failed tests|Tests in error):\s*$",
     r"^\[(?:INFO|ERROR)\] Tests run:|^Tests run:|^\[INFO\]\s*$|^\[ERROR\]\s*$"),          # surefire
    (r"^\* What went wrong:$", r"^\* Try:$|^BUILD FAILED"),                                 # gradle
    (r"^=(?:ERROR|CRASH|SUPERVISOR) REPORT={3,}", r"^\s*$|^=[A-Z ]+ REPORT={3,}"),                 # Erlang/OTP
    (r"^\s*\d+ failing$", r"^(?:npm ERR!|error Command|\[\d\d:\d\d:\d\d\]|The command|##\[error\]|::error"
                          r"|make(?:\[\d+\])?: \*\*\*|Process completed|\$ |=+ )"),                       # mocha
])

POSITIVE: tuple[Rule, ...] = (TESTS + COMPILERS + LINTERS + DEPENDENCIES + INFRASTRUCTURE + LIMITS
                              + CONFIGURATION + WRAPPERS + GENERIC)

SCORED_CHARS = 300   # a line states its failure early; the rest of a long line only costs time
_BY_WEIGHT = tuple(sorted(POSITIVE, key=lambda rule: -rule.weight))


# A quick gate: lines without any of these words, marks or shapes match no positive rule.
# Plain substring tests on the lower-cased line: far cheaper than one big case-insensitive regex.
_GATE_WORDS = (
    'rror', 'fail', 'fatal', 'xception', 'panic', 'assert', 'expect', 'timeout', 'timed out', 'killed',
    'memory', 'space left', 'denied', 'not found', 'cannot', "can't", 'could not', "couldn't", 'unable',
    'invalid', 'undefined', 'refused', 'unresolved', 'unexpected', 'missing', 'no such', 'not defined',
    'usage:', 'permission', 'abort', 'segment', 'dumped', 'crash', '**', '✖', '✗', '×', '●', '❌', '<<<',
    'dubious', 'not ok', 'not installed', 'unrecognized', 'unknown', 'not allowed', 'please', 'lint',
    'reformat', 'oh no', 'gofmt', 'style', 'problem', 'traceback', 'reason', 'exceed', 'violat',
    'incompatible', 'mismatch', 'forbidden', 'does not exist', "doesn't exist", 'fault', 'interrupt',
    'what went wrong', 'oom', 'unavailable', 'bad gateway', 'gateway time', 'internal server', 'rate limit',
    'toomanyrequests', 'certificate', 'ssl', 'handshake', 'getaddrinfo', 'econn', 'etimedout', 'eai_again',
    'enotfound', 'not known', 'connection', 'unreachable', 'shutdown', 'lost communication', 'quota', 'heap',
    'overhead limit', '137', 'cancel', 'took longer', 'expired', 'no output', 'deadline', 'not set',
    'must be set', 'not permitted', 'not a valid', 'yaml:', 'no matching', 'conflict', 'exit code',
    'exit status', 'warning', 'sigsegv', 'sigabrt',
)
_GATE_SHAPES = re.compile(
    r"^E |^e: |^\s*\d+[.)] |^\s*-\s+\S+=|\b[Ee][Rr][Rr]\b|\bSC\d|\.\w+:\d+|\(\d+,\d+\)|^---- |^___|[Ss]top\."
    r"|HTTP 5|[Ss]tatus code 5"
)


def gate(text: str) -> bool:
    """True when a line could match a positive rule (a cheap pre-check)."""
    low = text.lower()
    return any(word in low for word in _GATE_WORDS) or bool(_GATE_SHAPES.search(text))


# Lines that end a block of detail when they follow one (passing tests, skips).
_STOP = re.compile(r"--- PASS|^ok\s|✓|✔|\bPASS(?:ED)?\b|\b\d+ passed\b|\bpassing\b|SKIPPED|\bskipped\b"
                   r"|^\$ |^\[command\]|^##\[group\]|^::group::|^Run \S|^\s*(?:Downloading|Downloaded|Fetching"
                   r"|Installing|Collecting|Requirement already|Unpacking|Get:\d+|Setting up|Selecting previously"
                   r"|Preparing to)\b")


def score(text: str, extra: Callable[[str], tuple[float, Category]] | None = None) -> tuple[float, Category]:
    """The failure score of one cleaned line (negative for noise) and its strongest rule's category;
    `extra` scores the line by other means (the shape families) and wins when it weighs more."""
    text = text[:SCORED_CHARS]
    best, category = 0.0, U
    if text and gate(text):
        for rule in _BY_WEIGHT:
            if rule.pattern.search(text):
                best, category = rule.weight, rule.category
                break
    if text and extra is not None:
        weight, kind = extra(text)
        if weight > best or (weight == best and category is U):
            best, category = weight, kind
    if best > 0:
        penalty = sum(rule.weight for rule in NOISE if rule.pattern.search(text))
        return best + max(penalty, -8), category
    return (-4.0 if _STOP.search(text) else 0.0), category


def section_end(text: str) -> re.Pattern[str] | None:
    """For a line that opens a failure report section, the pattern of the line that closes it."""
    for opener, closer in SECTIONS:
        if opener.search(text):
            return closer
    return None
