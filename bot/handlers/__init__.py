"""Feature handlers: each module exports a `router`; they are composed here."""

from bot.debug import handler as debug
from bot.assist import help
from bot.plan import handler as plan
from bot.routing import Router

router = Router(help.router, plan.router, debug.router)
