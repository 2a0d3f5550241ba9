"""Who is asking: API keys and local users, kept in the store and cached here so that checking a request's
credentials is a hash and a dict hit, and the principal (role, tenant) they name.

Never stores, logs or returns a key or a password after creation: only SHA-256 of keys (they are random,
high-entropy) and argon2 hashes of passwords (chosen by people).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ingest.tenancy import Unauthenticated  # defined where the transports catch it
from jobs.time_ranges import param

log = logging.getLogger(__name__)

KEY_ROLES = ("ingest", "viewer", "admin")  # ingest: send spans only; viewer: also read its tenant; admin: everything
USER_ROLES = ("viewer", "admin")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")  # tenants and user names: safe in file names and SQL text
_HASHER = PasswordHasher()


class Forbidden(Exception):
    """Valid credentials without the right: 403."""



class AccessError(ValueError):
    """A key or user request that cannot be carried out as given."""


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    tenant: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden(f"{self.name} is a {self.role}; this needs an admin")

    def require_reader(self) -> None:
        if self.role not in ("viewer", "admin"):
            raise Forbidden(f"{self.name} is an {self.role} key; reading needs a viewer or admin")

    def tenant_to_read(self, asked: str | None) -> str:
        """The tenant a read covers: an admin reads any tenant, anyone else only their own."""
        if self.is_admin:
            return asked or self.tenant
        if asked and asked != self.tenant:
            raise Forbidden(f"{self.name} may read tenant {self.tenant!r} only")
        return self.tenant

    @property
    def row_tenant(self) -> str | None:
        """The tenant raw queries are restricted to; None for an admin (every tenant)."""
        return None if self.is_admin else self.tenant


# Without credentials when auth is optional (loopback by default): what every request was before keys existed.
ANONYMOUS = Principal("anonymous", "admin", "default")


def valid_name(value: str, what: str) -> str:
    if not _NAME.match(value or ""):
        raise AccessError(f"{what} {value!r}: 1-64 letters, digits, '_', '.', '@' or '-', starting with a letter or digit")
    return value


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The API key of `Authorization: Bearer KEY` or `x-api-key: KEY` (header names lower-case)."""
    authorization = headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return headers.get("x-api-key", "").strip() or None


@dataclass(frozen=True)
class User:
    username: str
    password_hash: str
    role: str
    tenant: str

    def principal(self) -> Principal:
        return Principal(self.username, self.role, self.tenant)


class Directory:
    """Keys by hash and users by name, read again from the store every cache_seconds by a thread of its own,
    so a request never waits for the store; changes made through this directory apply at once."""

    def __init__(self, store: Any, *, required: bool = False, cache_seconds: float = 0.5,
                 proxy_header: str = "", proxy_trusted: list[str] | None = None) -> None:
        self.store = store
        self.required = required
        self.cache_seconds = cache_seconds
        self.proxy_header = proxy_header.lower()
        self.proxy_trusted = {ipaddress.ip_address(address) for address in (proxy_trusted or [])}
        self._keys: dict[str, Principal] = {}
        self._changes = 0  # changes made through this directory, so a refresh that read before one does not undo it
        self._process_keys: dict[str, Principal] = {}  # keys of this process only (the demo fleet's), never stored
        self._users: dict[str, User] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- cache ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self.refresh()
        self._thread = threading.Thread(target=self._run, name="access-cache", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.cache_seconds):
            try:
                self.refresh()
            except Exception:  # the store may be briefly unavailable; the last known keys stay in force
                log.exception("cannot read API keys and users; keeping the cached ones")

    def refresh(self) -> None:
        with self._lock:
            started = self._changes
        keys = {row["key_hash"]: Principal(row["key_id"], row["role"], row["tenant"])
                for row in self.store.frame("auth_keys").iter_rows(named=True) if not row["revoked"]}
        users = {row["username"]: User(row["username"], row["password_hash"], row["role"], row["tenant"])
                 for row in self.store.frame("auth_users").iter_rows(named=True) if not row["deleted"]}
        with self._lock:
            if self._changes == started:  # else a change made here meanwhile may be missing from what was read: next time
                self._keys, self._users = keys, users

    # -- requests ------------------------------------------------------------------------------------
    def key_principal(self, key: str) -> Principal:
        digest = key_hash(key)
        found = self._keys.get(digest) or self._process_keys.get(digest)
        if found is None:
            raise Unauthenticated("invalid or revoked API key")
        return found

    def principal(self, headers: Mapping[str, str], peer: str | None = None, session_user: str | None = None) -> Principal:
        """Who a request is, from (lower-case) headers: an API key, else a trusted proxy's user header, else a
        UI login; without any, anonymous when auth is optional. Raises Unauthenticated."""
        key = presented_key(headers)
        if key is not None:
            return self.key_principal(key)
        if self.proxy_header and self._trusted(peer) and headers.get(self.proxy_header):
            return self._user(headers[self.proxy_header]).principal()
        if session_user:
            return self._user(session_user).principal()
        if not self.required:
            return ANONYMOUS
        raise Unauthenticated("missing API key: send Authorization: Bearer <key> or x-api-key: <key>")

    def login(self, username: str, password: str) -> Principal:
        user = self._users.get(username)
        try:
            if user is None or not user.password_hash or not _HASHER.verify(user.password_hash, password):
                raise VerificationError
        except (VerificationError, InvalidHashError):
            raise Unauthenticated("wrong user name or password") from None
        return user.principal()

    def _user(self, username: str) -> User:
        user = self._users.get(username)
        if user is None:
            raise Unauthenticated(f"no user {username!r}")
        return user

    def _trusted(self, peer: str | None) -> bool:
        try:
            return peer is not None and ipaddress.ip_address(peer) in self.proxy_trusted
        except ValueError:
            return False

    def process_key(self, tenant: str, role: str = "ingest") -> str:
        """A key valid until this process ends, kept in memory only: for what the process sends itself."""
        key = f"sl_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
        self._process_keys[key_hash(key)] = Principal("process", role, valid_name(tenant, "tenant"))
        return key

    # -- administration (callers check the admin role) -------------------------------------------------
    def create_key(self, tenant: str, role: str = "ingest", name: str = "") -> dict[str, Any]:
        """A new key for tenant; the only time the key itself is seen."""
        valid_name(tenant, "tenant")
        if role not in KEY_ROLES:
            raise AccessError(f"role {role!r}: one of {', '.join(KEY_ROLES)}")
        key_id = secrets.token_hex(6)
        key = f"sl_{key_id}_{secrets.token_urlsafe(32)}"
        created = dt.datetime.now(dt.UTC)
        self.store.run("auth_insert_key", {"key_id": key_id, "key_hash": key_hash(key), "tenant": tenant, "role": role,
                                           "name": name[:200], "created_at": param(created), "revoked": 0})
        with self._lock:
            self._keys = {**self._keys, key_hash(key): Principal(key_id, role, tenant)}
            self._changes += 1
        return {"key": key, "key_id": key_id, "tenant": tenant, "role": role, "name": name[:200], "created_at": param(created)}

    def list_keys(self) -> list[dict[str, Any]]:
        frame = self.store.frame("auth_keys")
        return [{**{name: row[name] for name in ("key_id", "tenant", "role", "name", "revoked")},
                 "created_at": param(row["created_at"])} for row in frame.iter_rows(named=True)]

    def revoke_key(self, key_id: str) -> dict[str, Any]:
        key_id = key_id.removeprefix("sl_").split("_")[0]
        for row in self.store.frame("auth_keys").iter_rows(named=True):
            if row["key_id"] == key_id:
                self.store.run("auth_insert_key", {**row, "created_at": param(row["created_at"]), "revoked": 1})
                with self._lock:  # refused from now on by this process; by others within cache_seconds
                    self._keys = {digest: who for digest, who in self._keys.items() if who.name != key_id}
                    self._changes += 1
                return {"key_id": key_id, "revoked": 1}
        raise AccessError(f"no key {key_id!r}")

    def create_user(self, username: str, password: str, role: str, tenant: str) -> dict[str, Any]:
        valid_name(username, "user name")
        valid_name(tenant, "tenant")
        if role not in USER_ROLES:
            raise AccessError(f"role {role!r}: one of {', '.join(USER_ROLES)}")
        if password and len(password) < 8:
            raise AccessError("a password has at least 8 characters (or none, for a user signed in by the proxy)")
        hashed = _HASHER.hash(password) if password else ""
        self.store.run("auth_insert_user", {"username": username, "password_hash": hashed, "role": role, "tenant": tenant,
                                            "created_at": param(dt.datetime.now(dt.UTC)), "deleted": 0})
        with self._lock:
            self._users = {**self._users, username: User(username, hashed, role, tenant)}
            self._changes += 1
        return {"username": username, "role": role, "tenant": tenant, "password": bool(password)}

    def list_users(self) -> list[dict[str, Any]]:
        return [{"username": row["username"], "role": row["role"], "tenant": row["tenant"], "password": bool(row["password_hash"]),
                 "created_at": param(row["created_at"])}
                for row in self.store.frame("auth_users").iter_rows(named=True) if not row["deleted"]]

    def delete_user(self, username: str) -> dict[str, Any]:
        for row in self.store.frame("auth_users").iter_rows(named=True):
            if row["username"] == username and not row["deleted"]:
                self.store.run("auth_insert_user", {**row, "created_at": param(row["created_at"]), "deleted": 1})
                with self._lock:
                    self._users = {name: user for name, user in self._users.items() if name != username}
                    self._changes += 1
                return {"username": username, "deleted": 1}
        raise AccessError(f"no user {username!r}")
