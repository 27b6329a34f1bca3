"""Snov.io accounts (API credentials and credit balance) and the access tokens issued to them.

Undocumented choices: a new token does not revoke earlier ones (each lives its own lifetime), and
tokens are 40 lower-case hex characters derived from the seed and an issue counter.
"""

from __future__ import annotations

import hmac
import itertools
from dataclasses import dataclass

from leadpipe_simulators._common.determinism import stable_hex


@dataclass
class Account:
    """One API user: client credentials and the credit balance its tasks draw on."""

    client_id: str
    client_secret: str
    balance: int


@dataclass(frozen=True)
class IssuedToken:
    """An access token, whose account it acts for and when it stops working."""

    token: str
    client_id: str
    expires_at: float


class AccountBook:
    """The accounts the simulator knows and the tokens it has issued."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._accounts: dict[str, Account] = {}
        self._tokens: dict[str, IssuedToken] = {}
        self._issued = itertools.count(1)

    def add(self, client_id: str, client_secret: str, balance: int) -> Account:
        """Create or replace the account ``client_id``."""
        account = Account(client_id, client_secret, balance)
        self._accounts[client_id] = account
        return account

    def get(self, client_id: str) -> Account:
        """The account ``client_id``; KeyError if there is none."""
        return self._accounts[client_id]

    def all(self) -> list[Account]:
        """Every account."""
        return list(self._accounts.values())

    def check_credentials(self, client_id: str, client_secret: str) -> Account | None:
        """The account if the secret matches, else None (compared in constant time)."""
        account = self._accounts.get(client_id)
        if account is None or not hmac.compare_digest(
            account.client_secret.encode(), client_secret.encode()
        ):
            return None
        return account

    def issue(self, client_id: str, now: float, lifetime: float) -> IssuedToken:
        """A new token for ``client_id`` valid for ``lifetime`` simulated seconds."""
        token = stable_hex(self._seed, "access-token", client_id, next(self._issued), length=40)
        issued = IssuedToken(token, client_id, now + lifetime)
        self._tokens[token] = issued
        return issued

    def resolve(self, token: str, now: float) -> Account | None:
        """The account a token acts for, or None if it is unknown or expired."""
        issued = self._tokens.get(token)
        if issued is None:
            return None
        if now >= issued.expires_at:
            del self._tokens[token]
            return None
        return self._accounts.get(issued.client_id)
