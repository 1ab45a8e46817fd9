"""The receiver's routing table: the feature handlers' routers, composed.

Handlers decide and enqueue jobs by name; importing them imports neither the agents nor the model client.
"""

from bot.assist import handler as assist
from bot.debug import handler as debug
from bot.plan import handler as plan
from bot.routing import Router

router = Router(assist.router, plan.router, debug.router)
