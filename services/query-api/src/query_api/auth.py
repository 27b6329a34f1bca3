"""Credentials: argon2-hashed API keys and passwords, short-lived JWTs, roles.

An API key reads ``lp_<key id>_<secret>``: the key id finds the row, the secret is checked
against its argon2 hash. Argon2 is deliberately slow, so a verified key is remembered for a
minute (by a SHA-256 of the whole key, never the key itself) — a revoked key stops working within
that minute — and then re-checked against the store without argon2 while its hash is unchanged.
Access tokens are HS256 JWTs signed with ``LEADPIPE_JWT_SECRET``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ISSUER = "leadpipe-query-api"
KEY_PREFIX = "lp_"
_hasher = PasswordHasher()
# Verified against a throwaway hash when the key id is unknown, so timing does not reveal it.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Role(enum.StrEnum):
    """What a caller may do; each role includes the ones below it."""

    VIEWER = "viewer"  # read everything the API serves
    ANALYST = "analyst"  # + exports, saved searches, manual triggers
    ADMIN = "admin"  # + jobs control, webhooks, privacy, audit log

    @property
    def rank(self) -> int:
        """Position in the hierarchy (viewer 0 < analyst 1 < admin 2)."""
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        """Whether this role includes ``needed``."""
        return self.rank >= needed.rank


_RANKS = {Role.VIEWER: 0, Role.ANALYST: 1, Role.ADMIN: 2}


@dataclasses.dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    Attributes:
        subject: User name, or ``key:<key id>`` for a key without an owner.
        limit_key: What the rate limit counts against (the API key id, or the user).
        rate_limit: Requests per minute for this caller, None for the service default.
    """

    subject: str
    role: Role
    limit_key: str
    key_id: str | None = None
    rate_limit: int | None = None


class AuthError(Exception):
    """Credentials missing, malformed, wrong, expired or revoked (always answered with 401)."""


def hash_secret(secret: str) -> str:
    """Argon2id hash of a password or key secret."""
    return _hasher.hash(secret)


def verify_secret(stored_hash: str, secret: str) -> bool:
    """Whether ``secret`` matches ``stored_hash`` (constant-time inside argon2)."""
    try:
        return _hasher.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


async def _verify(stored_hash: str, secret: str) -> bool:
    # Argon2 takes tens of milliseconds of CPU: in a thread, other requests keep being served
    # (argon2-cffi releases the GIL while hashing).
    return await asyncio.to_thread(verify_secret, stored_hash, secret)


def new_api_key() -> tuple[str, str, str]:
    """A fresh key: ``(key id, secret, the full key shown once to its owner)``."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return key_id, secret, f"{KEY_PREFIX}{key_id}_{secret}"


def split_api_key(key: str) -> tuple[str, str]:
    """The key id and secret of a full key.

    Raises:
        AuthError: Not shaped like a Leadpipe key.
    """
    if not key.startswith(KEY_PREFIX):
        raise AuthError("not an API key")
    key_id, sep, secret = key[len(KEY_PREFIX) :].partition("_")
    if not sep or len(key_id) != 12 or not secret or len(key) > 200:
        raise AuthError("malformed API key")
    return key_id, secret


def issue_token(principal: Principal, secret: str, ttl_seconds: int) -> str:
    """A signed access token for ``principal`` valid for ``ttl_seconds``."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": principal.subject,
        "role": str(principal.role),
        "lim": principal.limit_key,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": secrets.token_hex(8),
    }
    if principal.key_id:
        claims["kid"] = principal.key_id
    if principal.rate_limit:
        claims["rpm"] = principal.rate_limit
    return jwt.encode(claims, secret, algorithm="HS256")


def read_token(token: str, secret: str) -> Principal:
    """The principal a token speaks for.

    Raises:
        AuthError: Bad signature, expired, wrong issuer or malformed claims.
    """
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
        role = Role(claims["role"])
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise AuthError(f"invalid access token: {exc}") from exc
    rate = claims.get("rpm")
    return Principal(
        subject=str(claims["sub"]),
        role=role,
        limit_key=str(claims.get("lim") or claims["sub"]),
        key_id=claims.get("kid"),
        rate_limit=int(rate) if isinstance(rate, int) else None,
    )


@dataclasses.dataclass(frozen=True)
class _Verified:
    # A key verified against ``secret_hash`` (kept to tell whether the stored hash changed).
    until: float
    principal: Principal
    secret_hash: str


KeyLookup = Callable[[str], Awaitable[dict[str, Any] | None]]
UserLookup = Callable[[str], Awaitable[dict[str, Any] | None]]


class Authenticator:
    """Checks API keys and passwords against the store, caching verified keys briefly.

    Args:
        find_key: Row of an unrevoked key by id (``secret_hash``, ``role``, ``owner``,
            ``rate_limit_per_minute``), or None.
        find_user: Row of an enabled user by name (``password_hash``, ``role``), or None.
        cache_seconds: How long a verified key is trusted without re-checking the store.
    """

    def __init__(
        self, find_key: KeyLookup, find_user: UserLookup, *, cache_seconds: float = 60.0
    ) -> None:
        self._find_key = find_key
        self._find_user = find_user
        self._cache_seconds = cache_seconds
        self._cache: dict[bytes, _Verified] = {}
        self._checks: dict[bytes, asyncio.Future[Principal]] = {}

    async def api_key(self, key: str) -> Principal:
        """The principal of a full API key.

        A key verified less than ``cache_seconds`` ago is trusted as it is. After that, the
        store is asked again (is the key still unrevoked, what are its role and limit); argon2
        runs again only if the stored hash changed. Concurrent requests with the same key share
        one check, so an expiring entry costs one lookup, not one per request in flight.

        Raises:
            AuthError: Unknown, revoked or wrong key.
        """
        digest = hashlib.sha256(key.encode()).digest()
        cached = self._cache.get(digest)
        if cached is not None and cached.until > time.monotonic():
            return cached.principal
        check = self._checks.get(digest)
        if check is None:
            check = asyncio.ensure_future(self._check(key, digest, cached))
            self._checks[digest] = check
            check.add_done_callback(lambda done: self._checked(digest, done))
        # Shielded: a caller that goes away does not cancel the others' check.
        return await asyncio.shield(check)

    def _checked(self, digest: bytes, check: asyncio.Future[Principal]) -> None:
        self._checks.pop(digest, None)
        if not check.cancelled():
            check.exception()  # retrieved here too, in case every caller went away

    async def _check(self, key: str, digest: bytes, cached: _Verified | None) -> Principal:
        key_id, secret = split_api_key(key)
        row = await self._find_key(key_id)
        if row is None:
            self._cache.pop(digest, None)
            await _verify(_DUMMY_HASH, secret)
            raise AuthError("unknown or revoked API key")
        # This exact key was verified against this hash before: the answer would be the same.
        known = cached is not None and cached.secret_hash == row["secret_hash"]
        if not known and not await _verify(row["secret_hash"], secret):
            self._cache.pop(digest, None)
            raise AuthError("unknown or revoked API key")
        principal = Principal(
            subject=row["owner"] or f"key:{key_id}",
            role=Role(row["role"]),
            limit_key=f"key:{key_id}",
            key_id=key_id,
            rate_limit=row["rate_limit_per_minute"],
        )
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = _Verified(
            time.monotonic() + self._cache_seconds, principal, row["secret_hash"]
        )
        return principal

    async def password(self, username: str, password: str) -> Principal:
        """The principal of a user who logs in with a password.

        Raises:
            AuthError: Unknown or disabled user, or wrong password.
        """
        row = await self._find_user(username)
        if row is None:
            await _verify(_DUMMY_HASH, password)
            raise AuthError("unknown user or wrong password")
        if not await _verify(row["password_hash"], password):
            raise AuthError("unknown user or wrong password")
        return Principal(subject=username, role=Role(row["role"]), limit_key=f"user:{username}")
