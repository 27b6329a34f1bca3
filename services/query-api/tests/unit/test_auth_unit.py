"""API keys, passwords, access tokens and roles, with in-memory lookups."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
import pytest

from query_api.auth import (
    Authenticator,
    AuthError,
    Principal,
    Role,
    hash_secret,
    issue_token,
    new_api_key,
    read_token,
    split_api_key,
)

SECRET = "unit-test-signing-key-0123456789abcdef"


def test_roles_include_the_ones_below_them() -> None:
    assert Role.ADMIN.allows(Role.ANALYST)
    assert Role.ANALYST.allows(Role.VIEWER)
    assert not Role.VIEWER.allows(Role.ANALYST)
    assert not Role.ANALYST.allows(Role.ADMIN)


def test_new_keys_split_into_id_and_secret() -> None:
    key_id, secret, full = new_api_key()
    assert split_api_key(full) == (key_id, secret)
    for bad in ("", "lp_", "lp_short_x", "xx_0123456789ab_secret", "lp_0123456789ab_"):
        with pytest.raises(AuthError):
            split_api_key(bad)


def test_tokens_carry_the_principal_and_expire() -> None:
    principal = Principal("alice", Role.ANALYST, "user:alice", key_id=None, rate_limit=30)
    token = issue_token(principal, SECRET, 60)
    assert read_token(token, SECRET) == principal
    with pytest.raises(AuthError):
        read_token(token, "another-signing-key-0123456789abcdef")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], issuer="leadpipe-query-api")
    old = jwt.encode({**claims, "exp": int(time.time()) - 1}, SECRET, algorithm="HS256")
    with pytest.raises(AuthError, match="expired"):
        read_token(old, SECRET)
    unsigned = jwt.encode(claims, None, algorithm="none")
    with pytest.raises(AuthError):
        read_token(unsigned, SECRET)
    with pytest.raises(AuthError):
        read_token(jwt.encode({**claims, "role": "root"}, SECRET, algorithm="HS256"), SECRET)


class FakeStore:
    """Keys and users in memory, counting lookups."""

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.key_lookups = 0

    async def find_key(self, key_id: str) -> dict[str, Any] | None:
        self.key_lookups += 1
        return self.keys.get(key_id)

    async def find_user(self, username: str) -> dict[str, Any] | None:
        return self.users.get(username)


async def test_keys_are_verified_against_their_hash_and_then_cached() -> None:
    store = FakeStore()
    key_id, secret, full = new_api_key()
    store.keys[key_id] = {
        "secret_hash": hash_secret(secret),
        "role": "viewer",
        "owner": None,
        "rate_limit_per_minute": 5,
    }
    authenticator = Authenticator(store.find_key, store.find_user)
    principal = await authenticator.api_key(full)
    assert principal == Principal(f"key:{key_id}", Role.VIEWER, f"key:{key_id}", key_id, 5)
    await authenticator.api_key(full)
    assert store.key_lookups == 1
    with pytest.raises(AuthError):
        await authenticator.api_key(full[:-1] + ("A" if full[-1] != "A" else "B"))
    with pytest.raises(AuthError):
        await authenticator.api_key(f"lp_{'0' * 12}_{secret}")


async def test_an_expired_key_is_checked_once_for_all_requests_in_flight() -> None:
    store = FakeStore()
    key_id, secret, full = new_api_key()
    store.keys[key_id] = {
        "secret_hash": hash_secret(secret),
        "role": "viewer",
        "owner": None,
        "rate_limit_per_minute": None,
    }
    authenticator = Authenticator(store.find_key, store.find_user, cache_seconds=0)
    principals = await asyncio.gather(*(authenticator.api_key(full) for _ in range(20)))
    assert {principal.key_id for principal in principals} == {key_id}
    assert store.key_lookups == 1
    await asyncio.gather(*(authenticator.api_key(full) for _ in range(20)))
    assert store.key_lookups == 2


async def test_an_expired_key_is_rechecked_against_the_store() -> None:
    store = FakeStore()
    key_id, secret, full = new_api_key()
    row = {"secret_hash": hash_secret(secret), "role": "viewer", "owner": None}
    store.keys[key_id] = {**row, "rate_limit_per_minute": None}
    authenticator = Authenticator(store.find_key, store.find_user, cache_seconds=0)
    assert (await authenticator.api_key(full)).role == Role.VIEWER
    # The role changed: the re-check picks it up.
    store.keys[key_id] = {**row, "role": "analyst", "rate_limit_per_minute": None}
    assert (await authenticator.api_key(full)).role == Role.ANALYST
    # The stored hash changed (another secret): the key is verified again, and fails.
    store.keys[key_id] = {**row, "secret_hash": hash_secret("another"), "rate_limit_per_minute": 1}
    with pytest.raises(AuthError):
        await authenticator.api_key(full)
    # Revoked: refused as soon as the cache entry has expired.
    store.keys[key_id] = {**row, "rate_limit_per_minute": None}
    assert (await authenticator.api_key(full)).key_id == key_id
    del store.keys[key_id]
    with pytest.raises(AuthError):
        await authenticator.api_key(full)


async def test_passwords_are_checked_against_their_hash() -> None:
    store = FakeStore()
    store.users["bob"] = {"password_hash": hash_secret("a long password"), "role": "admin"}
    authenticator = Authenticator(store.find_key, store.find_user)
    assert (await authenticator.password("bob", "a long password")).role == Role.ADMIN
    with pytest.raises(AuthError):
        await authenticator.password("bob", "a wrong password")
    with pytest.raises(AuthError):
        await authenticator.password("nobody", "a long password")
