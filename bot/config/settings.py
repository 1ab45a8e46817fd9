"""Server settings: the one reader of the process environment.

`Settings.from_env(environ)` takes a mapping (pass `os.environ` once, at process start) and
returns a frozen value; every invalid or inconsistent variable is reported in ONE `ConfigError`
whose message names the variable and what to do about it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse


class ConfigError(Exception):
    """A setting or a configuration file is missing or invalid; the message says how to fix it."""


@dataclass(frozen=True)
class ModelSettings:
    """Where the OpenAI-compatible model endpoint is, and which model serves each task."""

    base_url: str | None = None
    api_key: str | None = None
    model: str = "gpt-4o-mini"
    task_models: Mapping[str, str] = field(default_factory=dict)  # task ("plan", "debug") -> model
    timeout: float = 60.0
    max_retries: int = 2

    @property
    def enabled(self) -> bool:
        """True when a model endpoint is configured; otherwise teabot runs model-free."""
        return bool(self.base_url or self.api_key)

    def model_for(self, task: str) -> str:
        """The model name to use for `task`."""
        return self.task_models.get(task, self.model)


@dataclass(frozen=True)
class Settings:
    """Everything the server, the workers and the CLI need to know about their surroundings."""

    gitea_url: str = "http://localhost:3000"
    gitea_token: str | None = None
    webhook_secret: str | None = None
    bot_login: str | None = None  # the bot's Gitea account; discovered with GET /user when unset
    redis_url: str | None = None
    queue_name: str = "teabot"
    data_dir: Path = Path("data")  # from_env makes it absolute: see default_data_dir
    max_body_bytes: int = 5 * 1024 * 1024
    gitea_timeout: float = 30.0
    gitea_retries: int = 3
    dedupe_ttl: int = 7 * 24 * 3600
    retry_intervals: tuple[int, ...] = (10, 60, 300)  # pauses before the retries of a job that failed transiently
    log_level: str = "INFO"
    log_format: str = "json"
    model: ModelSettings = field(default_factory=ModelSettings)
    server_url: str | None = None  # a teabot server that Actions steps hand work to (e.g. failed runs)
    ci_log_hosts: tuple[str, ...] = ()  # host:port of external CI whose logs the bot may read (host: default port)
    ci_log_deadline: float = 30.0  # seconds one external log fetch may take in total, redirects included
    plan_key: str | None = None  # signs plan blocks (HMAC); never the webhook secret
    plan_signed_since: str | None = None  # ISO time this server began signing plan blocks (bot.config.keys)
    status_token: str | None = None  # bearer token of the /status page; unset: the page is off
    handover_key: str | None = None  # derives each repository's Actions hand-over credential (bot.security.handover)
    handover_token: str | None = None  # an Actions step's hand-over credential for POST /handover

    @property
    def plan_key_file(self) -> Path:
        """Where a generated plan-signing key is kept when TEABOT_PLAN_KEY is unset."""
        return self.data_dir / "plan-key"

    @property
    def handover_key_file(self) -> Path:
        """Where a generated hand-over key is kept when TEABOT_HANDOVER_KEY is unset."""
        return self.data_dir / "handover-key"

    @property
    def spool_dir(self) -> Path:
        """Where verified deliveries wait when Redis cannot take them."""
        return self.data_dir / "spool"

    @property
    def api_url(self) -> str:
        """Base of Gitea's REST API."""
        return self.gitea_url.rstrip("/") + "/api/v1"

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (tests and the CLI use this)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read and validate settings from an environment mapping."""
        reader = _Reader(environ)
        model = ModelSettings(
            base_url=reader.url("TEABOT_MODEL_BASE_URL", alias="OPENAI_BASE_URL"),
            api_key=reader.text("TEABOT_MODEL_API_KEY", alias="OPENAI_API_KEY"),
            model=reader.text("TEABOT_MODEL") or ModelSettings.model,
            task_models={
                task: name
                for task in ("plan", "debug", "summarize", "classify")
                if (name := reader.text(f"TEABOT_MODEL_{task.upper()}"))
            },
            timeout=reader.number("TEABOT_MODEL_TIMEOUT", 60.0),
            max_retries=int(reader.number("TEABOT_MODEL_MAX_RETRIES", 2, integer=True)),
        )
        settings = cls(
            gitea_url=_site_url(reader.url("TEABOT_GITEA_URL")) or cls.gitea_url,
            gitea_token=reader.text("TEABOT_GITEA_TOKEN"),
            webhook_secret=reader.text("TEABOT_WEBHOOK_SECRET"),
            bot_login=reader.text("TEABOT_BOT_LOGIN"),
            redis_url=reader.url("REDIS_URL", schemes=("redis", "rediss", "unix")),
            queue_name=reader.text("TEABOT_QUEUE") or cls.queue_name,
            data_dir=data_dir_from(environ),
            max_body_bytes=int(reader.number("TEABOT_MAX_BODY_BYTES", cls.max_body_bytes, integer=True)),
            gitea_timeout=reader.number("TEABOT_GITEA_TIMEOUT", cls.gitea_timeout),
            gitea_retries=int(reader.number("TEABOT_GITEA_RETRIES", cls.gitea_retries, integer=True)),
            dedupe_ttl=int(reader.number("TEABOT_DEDUPE_TTL", cls.dedupe_ttl, integer=True)),
            retry_intervals=reader.intervals("TEABOT_RETRY_INTERVALS", cls.retry_intervals),
            log_level=reader.choice("TEABOT_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
            log_format=reader.choice("TEABOT_LOG_FORMAT", ("json", "text"), "json"),
            model=model,
            server_url=reader.url("TEABOT_SERVER_URL"),
            ci_log_hosts=reader.hosts("TEABOT_CI_LOG_HOSTS"),
            ci_log_deadline=reader.number("TEABOT_CI_LOG_DEADLINE", cls.ci_log_deadline),
            plan_key=reader.text("TEABOT_PLAN_KEY"),
            status_token=reader.text("TEABOT_STATUS_TOKEN"),
            handover_key=reader.text("TEABOT_HANDOVER_KEY"),
            handover_token=reader.text("TEABOT_HANDOVER_TOKEN"),
        )
        if settings.plan_key and settings.webhook_secret and settings.plan_key == settings.webhook_secret:
            reader.errors.append("TEABOT_PLAN_KEY must differ from TEABOT_WEBHOOK_SECRET: the webhook secret is "
                                 "shared with Gitea, the plan key never leaves the server")
        if settings.handover_key and settings.handover_key in (settings.webhook_secret, settings.plan_key):
            reader.errors.append("TEABOT_HANDOVER_KEY must differ from TEABOT_WEBHOOK_SECRET and TEABOT_PLAN_KEY: "
                                 "each key has one job, so one leaked key cannot forge the others' messages")
        reader.raise_errors()
        return settings


def _site_url(url: str | None) -> str | None:
    """Gitea's site URL: an API URL pasted in (…/api/v1) would otherwise become …/api/v1/api/v1."""
    if url is None:
        return None
    return re.sub(r"/api/v1/?$", "", url.rstrip("/")) or url


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """Where teabot keeps its state when TEABOT_DATA_DIR is unset: $XDG_DATA_HOME/teabot, else ~/.local/share/teabot."""
    # An absolute default, so that `serve`, `setup-hook` and `replay` read the same generated secret
    # whichever directory they are started from.
    xdg = (environ.get("XDG_DATA_HOME") or "").strip()
    if xdg and Path(xdg).is_absolute():  # the XDG spec says to ignore relative values
        return Path(xdg) / "teabot"
    home = (environ.get("HOME") or "").strip()
    return (Path(home) if home else Path.home()) / ".local" / "share" / "teabot"


def data_dir_from(environ: Mapping[str, str]) -> Path:
    """TEABOT_DATA_DIR made absolute (a relative value is taken from the current directory), or the default."""
    given = (environ.get("TEABOT_DATA_DIR") or "").strip()
    return Path(given).expanduser().absolute() if given else default_data_dir(environ)


# Every TEABOT_* variable teabot reads; `unknown_variables` uses it to catch misspellings.
KNOWN_VARIABLES = frozenset({
    "TEABOT_GITEA_URL", "TEABOT_GITEA_TOKEN", "TEABOT_WEBHOOK_SECRET", "TEABOT_BOT_LOGIN", "TEABOT_QUEUE",
    "TEABOT_DATA_DIR", "TEABOT_MAX_BODY_BYTES", "TEABOT_GITEA_TIMEOUT", "TEABOT_GITEA_RETRIES", "TEABOT_DEDUPE_TTL",
    "TEABOT_LOG_LEVEL", "TEABOT_LOG_FORMAT", "TEABOT_MODEL_BASE_URL", "TEABOT_MODEL_API_KEY", "TEABOT_MODEL",
    "TEABOT_MODEL_PLAN", "TEABOT_MODEL_DEBUG", "TEABOT_MODEL_SUMMARIZE", "TEABOT_MODEL_CLASSIFY",
    "TEABOT_MODEL_TIMEOUT", "TEABOT_MODEL_MAX_RETRIES", "TEABOT_SERVER_URL", "TEABOT_CI_LOG_HOSTS",
    "TEABOT_STATUS_TOKEN", "TEABOT_CI_LOG_DEADLINE", "TEABOT_PLAN_KEY", "TEABOT_RETRY_INTERVALS",
    "TEABOT_HANDOVER_KEY", "TEABOT_HANDOVER_TOKEN",
    # read by the Actions step and the test suite, not by Settings
    "TEABOT_COMMAND", "TEABOT_DRY_RUN", "TEABOT_INSTALL", "TEABOT_VENV", "TEABOT_ARGS", "TEABOT_PYTHON",
    "TEABOT_PIP_ARGS", "TEABOT_ACTION_PATH", "TEABOT_EXTRA", "TEABOT_TEST_REDIS_URL", "TEABOT_TEST_REDIS_FLUSH",
})


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """One line per TEABOT_* variable teabot does not read, with the likely intended name."""
    import difflib

    lines = []
    for name in sorted(n for n in environ if n.startswith("TEABOT_") and n not in KNOWN_VARIABLES):
        close = difflib.get_close_matches(name, sorted(KNOWN_VARIABLES), n=1, cutoff=0.8)
        lines.append(f"{name} is not a teabot setting" + (f": did you mean {close[0]}?" if close else " (ignored)"))
    return lines


class _Reader:
    """Collects every problem with the environment so the operator can fix them in one go."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.errors: list[str] = []

    def text(self, name: str, *, alias: str | None = None) -> str | None:
        value = self.environ.get(name)
        if value is None and alias:
            value = self.environ.get(alias)
        value = value.strip() if value is not None else None
        return value or None

    def url(self, name: str, *, alias: str | None = None, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
        value = self.text(name, alias=alias)
        if value is None:
            return None
        parsed = urlparse(value)
        if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
            shown = " or ".join(f"{s}://" for s in schemes)
            self.errors.append(f"{name}={value!r} is not a URL: give a full URL starting with {shown}")
            return None
        return value

    def hosts(self, name: str) -> tuple[str, ...]:
        found = []
        for entry in (self.text(name) or "").split(","):
            host = entry.strip().lower()
            if not host:
                continue
            if not re.fullmatch(r"(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?", host):
                self.errors.append(f"{name}: {entry.strip()!r} is not a host name: list hosts as host or host:port, "
                                   "separated by commas (no scheme, no path)")
                continue
            found.append(host)
        return tuple(found)

    def number(self, name: str, default: float, *, integer: bool = False) -> float:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = int(value) if integer else float(value)
        except ValueError:
            kind = "a whole number" if integer else "a number"
            self.errors.append(f"{name}={value!r} is not {kind}: set it to {kind} such as {default!r}")
            return default
        if number <= 0 and name != "TEABOT_MODEL_MAX_RETRIES" and name != "TEABOT_GITEA_RETRIES":
            self.errors.append(f"{name}={value!r} must be greater than zero")
            return default
        if number < 0:
            self.errors.append(f"{name}={value!r} must not be negative")
            return default
        return number

    def intervals(self, name: str, default: tuple[int, ...]) -> tuple[int, ...]:
        value = self.text(name)
        if value is None:
            return default
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if value.strip() == "0":
            return ()
        if not all(part.isdigit() and int(part) > 0 for part in parts):
            self.errors.append(f"{name}={value!r} is not a list of seconds: give pauses such as 10,60,300 (or 0 for no retries)")
            return default
        return tuple(int(part) for part in parts)

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.text(name)
        if value is None:
            return default
        if value.upper() in choices:
            return value.upper()
        if value.lower() in choices:
            return value.lower()
        self.errors.append(f"{name}={value!r} is not one of {', '.join(choices)}")
        return default

    def raise_errors(self) -> None:
        if self.errors:
            raise ConfigError("invalid environment: " + "; ".join(self.errors))
