"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile) and the password rules."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from theo.api.services.errors import Invalid

MIN_LENGTH = 10
MAX_LENGTH = 256

_hasher = PasswordHasher()
#: Verified against when the user does not exist, so an unknown name costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("theo: no such user")


def check_password_rules(password: str, username: str = "") -> None:
    """Raise :class:`Invalid` (field ``password``) unless ``password`` is acceptable for ``username``."""
    if len(password) < MIN_LENGTH:
        raise Invalid(f"the password needs at least {MIN_LENGTH} characters", field="password")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"the password may have at most {MAX_LENGTH} characters", field="password")
    if username and password.strip().lower() == username.strip().lower():
        raise Invalid("the password must not be the user name", field="password")


def hash_password(password: str) -> str:
    """The encoded argon2id hash of ``password`` (salted: two calls give different strings)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; ``None`` (no such user) costs the same and fails."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash at the next login)."""
    return _hasher.check_needs_rehash(password_hash)
