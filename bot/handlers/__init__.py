"""Feature handlers: each module exports a `router`; they are composed here."""

from bot.handlers import debug, help, plan
from bot.routing import Router

router = Router(help.router, plan.router, debug.router)
