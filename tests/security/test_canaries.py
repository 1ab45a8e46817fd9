"""Canary secrets: each kind, in the places it turns up (logs, prose, config, commands), is redacted.

The figure that matters is at the bottom: every canary gone after `redact`, across many kinds,
while prose that merely names a secret, commit SHAs and digests survive.
"""

from __future__ import annotations

import pytest

from bot.redact import MASK, redact

HEX = "a3f9c2e81b7d4f60e5a9c3d2b1f08e7d6c5b4a39"
CANARIES: list[tuple[str, str, str]] = [
    # (kind, text, the secret)
    ("hex token in prose", f"my gitea token is {HEX}, please use it", HEX),
    ("hex token in prose", f"Try {HEX} as the key", HEX),
    ("hex token after a colon", f"token: {HEX}", HEX),
    ("redis userinfo", "REDIS_URL=redis://:Zx9pQ2mVt7rL@redis.internal:6379/0", "Zx9pQ2mVt7rL"),
    ("redis userinfo", "connect redis://default:Hq7Lp2Vw9Zk4@10.0.0.5:6379", "Hq7Lp2Vw9Zk4"),
    ("URL userinfo", "git clone https://teabot:Gk8sJ3nQ5xWz@gitea.example/org/repo.git", "Gk8sJ3nQ5xWz"),
    ("URL userinfo", "postgres://app:pg_S3cretPw_91@db:5432/app", "pg_S3cretPw_91"),
    ("password flag", "mysql -u root --password Xy7hQ2pLm9 -h db", "Xy7hQ2pLm9"),
    ("password flag", "docker login --password=Vb4nM8kQ2w registry.example", "Vb4nM8kQ2w"),
    ("token flag", "gitea-cli --token 'Rt5yU8iO1pAs' push", "Rt5yU8iO1pAs"),
    ("base64 credentials", '{"auths": {"r.example": {"auth": "Ym90OnMzY3JldFB3OTE="}}}', "Ym90OnMzY3JldFB3OTE="),
    ("base64 credentials", "header was Basic ZGVwbG95OnRvcFNlY3JldDc3", "ZGVwbG95OnRvcFNlY3JldDc3"),
    ("base64 credentials", "echo ZGVwbG95OnRvcFNlY3JldDc3 | base64 -d", "ZGVwbG95OnRvcFNlY3JldDc3"),
    ("token split across lines", "GITHUB_TOKEN=ghp_4fT9kLm2Qx7Vb1Nc\n8Rz3Wy6Hs0Jd5Pg2Ua7E", "8Rz3Wy6Hs0Jd5Pg2Ua7E"),
    ("token split across lines", "token = \"ghp_4fT9kLm2Qx7Vb1Nc\"\n  \"8Rz3Wy6Hs0Jd5Pg2Ua7E\"", "ghp_4fT9kLm2Qx7Vb1Nc"),
    ("hex split across lines", "key a3f9c2e81b7d4f60e5a9\nc3d2b1f08e7d6c5b4a39", "c3d2b1f08e7d6c5b4a39"),
    ("stripe live key", "STRIPE=sk_live_51HzQ8kLmN2pQr4StUv6Wx8Yz", "sk_live_51HzQ8kLmN2pQr4StUv6Wx8Yz"),
    ("stripe live key", "charged with rk_live_9Xk2Lm4Np6Qr8St0Uv in prod", "rk_live_9Xk2Lm4Np6Qr8St0Uv"),
    ("azure storage", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Qm9vZ2xlYm9vZ2xl+c2VjcmV0S2V5MTIzNDU2Nzg5MA==;EndpointSuffix=core.windows.net",
     "Qm9vZ2xlYm9vZ2xl+c2VjcmV0S2V5MTIzNDU2Nzg5MA=="),
    ("azure SAS", "https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=Wp8Lk3Jx9Qm2Vb7Nc4Hz1Ts6Ry0Ua5%3D", "Wp8Lk3Jx9Qm2Vb7Nc4Hz1Ts6Ry0Ua5"),
    ("vault token", "VAULT_TOKEN=hvs.CAESIJx9Lm2Qp7Vb4Nc8Hz1Ts6Ry0Ua5Wk3", "hvs.CAESIJx9Lm2Qp7Vb4Nc8Hz1Ts6Ry0Ua5Wk3"),
    ("vault token", "login with hvs.AbCdEfGhIjKlMnOpQrStUvWx12 today", "hvs.AbCdEfGhIjKlMnOpQrStUvWx12"),
    ("aws access key", "aws_access_key_id = AKIAZ7QXJ3LM4NPR2STV", "AKIAZ7QXJ3LM4NPR2STV"),
    ("aws secret key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"),
    ("github token", "pushed with ghp_Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0Ua5Wk3Jp2Qd", "ghp_Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0Ua5Wk3Jp2Qd"),
    ("github fine-grained", "github_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789abcdef", "github_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789abcdef"),
    ("gitea token header", f"curl -H 'Authorization: token {HEX}' https://gitea/api/v1/user", HEX),
    ("gitlab token", "CI_TOKEN=glpat-Xk9Lm2Qp7Vb4Nc8Hz1Ts", "glpat-Xk9Lm2Qp7Vb4Nc8Hz1Ts"),
    ("jwt", "id_token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IiLCJhZG1pbiI6dHJ1ZX0.Tk9Lm2Qp7Vb4Nc8Hz1Ts6Ry0Ua",
     "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IiLCJhZG1pbiI6dHJ1ZX0.Tk9Lm2Qp7Vb4Nc8Hz1Ts6Ry0Ua"),
    ("private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n-----END OPENSSH PRIVATE KEY-----",
     "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU"),
    ("private key", "key: |\n  -----BEGIN EC PRIVATE KEY-----\n  MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5\n", "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5"),
    ("openai key", "OPENAI_API_KEY=sk-proj-Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0Ua5Wk3Jp", "sk-proj-Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0Ua5Wk3Jp"),
    ("anthropic key", "key sk-ant-api03-Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0Ua5Wk3Jp", "sk-ant-api03-Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0Ua5Wk3Jp"),
    ("slack token", "SLACK=xoxb-1234567890-0987654321-Zq8Lk2Mx7Vb4Nc1H", "xoxb-1234567890-0987654321-Zq8Lk2Mx7Vb4Nc1H"),
    ("slack webhook", "https://hooks.slack.com/services/T0ABCDEFG/B0ABCDEFG/Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0",
     "Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0"),
    ("npm token", "//registry.npmjs.org/:_authToken=npm_Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0Ua5Wk3Jp2Qd4", "npm_Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0Ua5Wk3Jp2Qd4"),
    ("pypi token", "password: pypi-AgEIcHlwaS5vcmcCJDZlNzQ5ZTk4LTk3YjEtNGQ3OS04YWM0LWQ1ZjQ3OGFhZDc1ZQ",
     "pypi-AgEIcHlwaS5vcmcCJDZlNzQ5ZTk4LTk3YjEtNGQ3OS04YWM0LWQ1ZjQ3OGFhZDc1ZQ"),
    ("google api key", "maps key AIzaSyD-Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0Ua5Wk3J used", "AIzaSyD-Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0Ua5Wk3J"),
    ("sendgrid key", "SG.Zq8Lk2Mx7Vb4Nc1Hz9Ts6R.y0Ua5Wk3Jp2Qd4Lm8Xn6Vc1Bz7Hk3Jq9Ws5Ep2Rt", "SG.Zq8Lk2Mx7Vb4Nc1Hz9Ts6R"),
    ("huggingface token", "HF_TOKEN hf_Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0Ua5Wk3Jp2", "hf_Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0Ua5Wk3Jp2"),
    ("password assignment", "DB_PASSWORD=Tr0ub4dor&3x", "Tr0ub4dor"),
    ("password assignment", "settings.py: SECRET_KEY = 'django-insecure-9x!k2m@q7v#b4'", "django-insecure-9x!k2m@q7v#b4"),
    ("random high-entropy token", "the session cookie was Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0Ua5Wk3Jp2Qd4 yesterday",
     "Zq8Lk2Mx7Vb4Nc1Hz9Ts6Ry0Ua5Wk3Jp2Qd4"),
    ("twilio key", "TWILIO SK0123456789abcdef0123456789abcdef", "SK0123456789abcdef0123456789abcdef"),
    ("bearer header", "Authorization: Bearer Zq8Lk2Mx7Vb4Nc1Hz9Ts6", "Zq8Lk2Mx7Vb4Nc1Hz9Ts6"),
]


@pytest.mark.parametrize("kind, text, secret", CANARIES, ids=[f"{i}-{c[0]}" for i, c in enumerate(CANARIES)])
def test_canary_is_redacted(kind, text, secret):
    out = redact(text)
    assert secret not in out and MASK in out


def test_all_canaries_together_and_many_kinds():
    text = "\n\n".join(t for _, t, _ in CANARIES)
    out = redact(text)
    assert [s for _, _, s in CANARIES if s in out] == []
    assert len(CANARIES) >= 40 and len({k for k, _, _ in CANARIES}) >= 20


PROSE = [
    "TEABOT_GITEA_TOKEN: must be a token with write access to the repository",
    "TEABOT_WEBHOOK_SECRET: the secret shared with the Gitea webhook",
    "password: required for the admin account",
    "The token expires after 30 days; rotate it with `teabot rotate`.",
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 merged",
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "https://gitea.example/org/repo/commit/9fceb02d0ae598e95dc970b74767f19372d61af8",
    "tests/test_calc.py::test_add_negative_numbers_returns_the_sum FAILED",
    "def test_authentication_token_refresh_when_expired(self):",
    "ModuleNotFoundError: No module named 'requests_toolbelt.multipart.encoder'",
    "api_key = settings.model.api_key",
    "token = os.environ['TEABOT_GITEA_TOKEN']",
    "password=${{ secrets.DB_PASSWORD }}",
]


@pytest.mark.parametrize("text", PROSE)
def test_prose_and_code_names_survive(text):
    assert redact(text) == text
