"""Operator commands shared by the API and the Telegram bot (freqtrade's RPC pattern).

Each module holds one area's commands as plain functions on a :class:`ServiceContext` and an :class:`Actor`.
They check the actor's role themselves (so a Telegram chat is authorised exactly like a browser), return
pydantic models (the API's response bodies) and raise :mod:`theo.api.services.errors` for a user's mistake.
Nothing here imports FastAPI.
"""

from theo.api.services.context import Actor, Role, ServiceContext

__all__ = ["Actor", "Role", "ServiceContext"]
