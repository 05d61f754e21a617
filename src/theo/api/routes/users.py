"""Routes: user management (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from theo.api.deps import Admin, Ctx, Limit, Offset
from theo.api.services import users

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=users.UserPage)
def list_users(actor: Admin, ctx: Ctx, limit: Limit = 100, offset: Offset = 0) -> users.UserPage:
    return users.list_users(ctx, actor, limit=limit, offset=offset)


@router.post("", response_model=users.UserItem, status_code=201)
def create_user(body: users.NewUser, actor: Admin, ctx: Ctx) -> users.UserItem:
    return users.create_user(ctx, actor, body)


@router.patch("/{username}", response_model=users.UserItem)
def update_user(username: str, body: users.UserChange, actor: Admin, ctx: Ctx) -> users.UserItem:
    return users.update_user(ctx, actor, username, body)


@router.delete("/{username}", status_code=204, response_class=Response)
def delete_user(username: str, actor: Admin, ctx: Ctx) -> Response:
    users.delete_user(ctx, actor, username)
    return Response(status_code=204)
