"""The authenticated actor of a request (interim: the auth work replaces this with session checks)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from theo.api.services.context import Actor, Role
from theo.api.services.errors import Unauthorized


def require(role: Role) -> Callable[[Request], Actor]:
    """A dependency giving the request's actor when it has at least ``role``."""

    def dependency(request: Request) -> Actor:
        raise Unauthorized("log in first")

    return dependency
