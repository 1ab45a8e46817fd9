"""The exception tree of the model boundary.

    LLMError                  any failure talking to the model; permanent unless a subclass says otherwise
     ├── LLMUnavailable       connection error, timeout, 5xx, rate limit (after the SDK's own retries);
     │                        `transient = True`: the job may be retried later
     ├── LLMBadReply          empty or malformed reply, JSON that does not parse when JSON was asked,
     │                        a tool call to a tool that was not offered
     └── LLMBudgetExceeded    the job's token budget is spent (or this call would overspend it)

Permanent request errors (bad key, unknown model, a request the server refuses) are a plain
`LLMError` whose message says which setting to check.
"""

from __future__ import annotations


class LLMError(Exception):
    """A call to the model failed."""

    transient: bool = False


class LLMUnavailable(LLMError):
    """The model endpoint could not answer now; trying again later may work."""

    transient = True


class LLMBadReply(LLMError):
    """The model answered, but not with something usable."""


class LLMBudgetExceeded(LLMError):
    """The token budget of the job does not allow another call."""
