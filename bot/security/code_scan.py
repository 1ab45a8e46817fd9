"""What new code reaches for: the network, secrets, the test runner, or hidden execution.  PURE.

A fix changes product code to make failing tests pass. Code that opens connections, reads tokens
or key files, detects that it runs under a test runner, ends the process early or decodes and
executes hidden code does none of that honestly, so the guard refuses an edit that ADDS such a
use (counted per rule, so touching a line that already used `requests` is not flagged).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import Enum

_SECRET_NAME = r"[\w.-]*(?:TOKEN|SECRET|PASSW(?:OR)?D|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH)[\w.-]*"


class Reach(str, Enum):
    """What kind of access an added line makes."""

    NETWORK = "network"
    SECRETS = "secrets"
    RUNNER = "test runner"
    EXECUTION = "hidden execution"
    SHELL = "ignored failure"


@dataclass(frozen=True)
class CodeFinding:
    """One rule whose uses went up, with the first added line that uses it."""

    reach: Reach
    what: str
    line: str


RULES: tuple[tuple[Reach, str, re.Pattern[str]], ...] = tuple((reach, what, re.compile(pattern)) for reach, what, pattern in (
    (Reach.NETWORK, "opens a socket", r"\bsocket\s*\.\s*(?:socket|create_connection)\b|\bimport\s+socket\b|\bfrom\s+socket\b"),
    (Reach.NETWORK, "uses an HTTP client", r"\b(?:requests|httpx|aiohttp|urllib3|pycurl|http\.client|urllib\.request)\b"
                                           r"|\burlopen\s*\(|\bXMLHttpRequest\b|(?<![\w.])fetch\s*\(|\bhttp\.(?:Get|Post)\s*\("),
    (Reach.NETWORK, "uses a network protocol library", r"\b(?:ftplib|smtplib|telnetlib|paramiko|xmlrpc|websocket\w*)\b"
                                                      r"|\bnet\.Dial\w*\s*\(|/dev/(?:tcp|udp)/"),
    (Reach.NETWORK, "runs a download tool", r"(?<![\w-])(?:curl|wget|nc|ncat|netcat|scp|rsync|ssh)(?:\.exe)?\b(?![\w-])"),
    (Reach.SECRETS, "reads a secret from the environment",
     r"(?i)(?:environ(?:\.get)?|getenv|process\.env|ENV)\s*[\[(.]\s*[\"']?" + _SECRET_NAME),
    (Reach.SECRETS, "reads the whole environment", r"\bos\.environ\s*\.\s*(?:copy|items|values)\s*\(|dict\(\s*os\.environ\s*\)"
                                                   r"|\bprintenv\b|(?<![\w-])env\s*$|\bJSON\.stringify\(\s*process\.env\b"),
    (Reach.SECRETS, "reads key or credential files", r"(?i)\.ssh\b|id_(?:rsa|ed25519|ecdsa)|\.netrc\b|\.git-credentials"
                                                     r"|/proc/\w+/environ|/etc/(?:shadow|passwd)|\.aws/credentials"
                                                     r"|\.docker/config\.json|\.kube/config|\.pypirc|\.npmrc"),
    (Reach.SECRETS, "names a CI token", r"\b(?:GITEA|GITHUB|ACTIONS_RUNTIME|ACTIONS_ID_TOKEN|CI_JOB|TEABOT)_\w*TOKEN\b"
                                        r"|\bsecrets\.\w+|\$\{\{\s*secrets\b"),
    (Reach.RUNNER, "detects the test runner", r"PYTEST_CURRENT_TEST|PYTEST_VERSION|[\"']_?pytest[\"']\s+in\s+sys\.modules"
                                              r"|\bsys\.modules\s*\[\s*[\"']_?pytest|\bJEST_WORKER_ID\b|\bprocess\.env\.NODE_ENV\s*===?\s*[\"']test"
                                              r"|\b(?:import|from)\s+_?pytest\b|\bunittest\.(?:TestCase|TestResult|main)\b|\bpytest_\w+\s*\("),
    (Reach.RUNNER, "ends the process early", r"\bos\._exit\s*\(|\bsys\.exit\s*\(\s*(?:0|None|False)?\s*\)|\batexit\.register\b|\bsys\.excepthook\b|\bos\.kill\s*\("
                                             r"|\bsignal\.signal\s*\("),
    (Reach.RUNNER, "patches built-ins or loaded modules", r"\bbuiltins\.\w+\s*=|\b__builtins__\b|\bsys\.modules\s*\[[^\]]+\]\s*="
                                                          r"|\bsetattr\s*\(\s*(?:builtins|sys|unittest|pytest)\b"),
    (Reach.EXECUTION, "executes generated or decoded code", r"(?<![\w.])(?:exec|eval|compile)\s*\(|\b__import__\s*\("
                                                            r"|\bimportlib\.import_module\s*\(|\bb(?:64|32|16|85)decode\s*\("
                                                            r"|\bcodecs\.decode\s*\(|\bmarshal\.loads\s*\(|\bpickle\.loads?\s*\("
                                                            r"|\bsubprocess\b|\bos\.(?:system|popen|exec\w*|spawn\w*)\s*\(|\bctypes\b"),
    (Reach.SHELL, "ignores a command's failure", r"\|\|\s*(?:true|:|exit\s+0)\b|\bset\s+\+e\b|^\s*exit\s+0\b|\bcontinue-on-error\b"
                                                 r"|\bignore_errors\b|^\t-(?!-)\S|\bexit_?code\s*=\s*0\b"),
))


def scan(before: str | None, after: str | None) -> list[CodeFinding]:
    """The rules the new text uses more often than the old one, each with an example added line."""
    old_lines, new_lines = (before or "").splitlines(), (after or "").splitlines()
    fresh = Counter(line.strip() for line in new_lines) - Counter(line.strip() for line in old_lines)
    found = []
    for reach, what, pattern in RULES:
        if _uses(pattern, new_lines) > _uses(pattern, old_lines):
            example = next((ln.strip() for ln in new_lines if fresh[ln.strip()] and pattern.search(ln)), "")
            found.append(CodeFinding(reach, what, example[:100]))
    return found


def _uses(pattern: re.Pattern[str], lines: list[str]) -> int:
    return sum(len(pattern.findall(line)) for line in lines)
