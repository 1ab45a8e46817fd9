"""Secret redaction: what must be masked, and what must survive."""

from __future__ import annotations

import pytest

from bot.redact import MASK, redact, redact_bytes

HEX40 = "0123456789abcdef0123456789abcdef01234567"

SECRETS = [
    # (text, the secret that must disappear)
    (f"curl -H 'Authorization: token {HEX40}' https://gitea.example/api/v1/user", HEX40),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload-part.signature-part", "eyJhbGciOiJIUzI1NiJ9"),
    ("authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    (f"access_token={HEX40}", HEX40),
    (f"using token {HEX40} for the push", HEX40),
    ("GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
    ("oauth gho_16C7e42F292c6912E7710c838347Ae178B4a in header", "gho_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("export CI_TOKEN=glpat-abcdefghij1234567890", "glpat-abcdefghij1234567890"),
    ("slack: xoxb-123456789012-1234567890123-AbCdEfGhIjKl", "xoxb-123456789012-1234567890123-AbCdEfGhIjKl"),
    ("OPENAI: sk-proj-abcdefghijklmnopqrstuvwxyz123456", "sk-proj-abcdefghijklmnopqrstuvwxyz123456"),
    ("aws_access_key_id AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("password=hunter2hunter2", "hunter2hunter2"),
    ("DB_PASSWORD: 'correct horse battery'", "correct horse battery"),
    ('{"client_secret": "s3cr3t-value"}', "s3cr3t-value"),
    ("api_key=AbCdEf123456", "AbCdEf123456"),
    ("secret: topsecretvalue", "topsecretvalue"),
    ("git clone https://bot:p4ssw0rd@gitea.example/org/repo.git", "p4ssw0rd"),
    ("remote: https://oauth2:abcdefghijklmnopqrstuvwx@gitlab.example/x.git", "abcdefghijklmnopqrstuvwx"),
]


@pytest.mark.parametrize(("text", "secret"), SECRETS)
def test_secrets_are_masked(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert MASK in out


def test_url_credentials_keep_scheme_and_host() -> None:
    assert redact("https://user:pass@host.example/path") == f"https://{MASK}@host.example/path"


def test_pem_private_key_block_is_removed_whole() -> None:
    pem = ("before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\nabcdefghijklmnop\n"
           "-----END RSA PRIVATE KEY-----\nafter")
    out = redact(pem)
    assert out == f"before\n{MASK}\nafter"


def test_unterminated_pem_block_is_removed_to_the_end() -> None:
    out = redact("x\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n")
    assert "b3BlbnNzaC1rZXktdjEAAAAA" not in out


SURVIVORS = [
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 merged",
    "HEAD is now at 9fceb02 fix tests",
    "run 550e8400-e29b-41d4-a716-446655440000 started",
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "Error: expected token ')' but found ';' at line 3",
    "tokenizer tests passed; password reset flow ok",
    "the password field is required",
    "password=${{ secrets.DB_PASSWORD }}",
    "password: ********",
    "https://gitea.example/org/repo/pulls/3",
    "git@gitea.example:org/repo.git",
    "",
]


@pytest.mark.parametrize("text", SURVIVORS)
def test_ordinary_text_survives(text: str) -> None:
    assert redact(text) == text


def test_redact_bytes_keeps_invalid_utf8() -> None:
    data = b"\xff\xfe password=abc123secret \xc3\n"
    out = redact_bytes(data)
    assert b"abc123secret" not in out
    assert out.startswith(b"\xff\xfe ") and out.endswith(b" \xc3\n")


def test_redaction_is_idempotent() -> None:
    text = "\n".join(t for t, _ in SECRETS)
    once = redact(text)
    assert redact(once) == once
