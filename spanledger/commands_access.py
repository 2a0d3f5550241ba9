"""`spanledger keys` and `spanledger users`: API keys and local users, admin-only.

Through the running server at --url when one answers (with SPANLEDGER_API_KEY, an admin's key, when the
server requires auth), else on the store in --data-dir directly (whoever may open the store is its admin).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click
import httpx

from spanledger.access import KEY_ROLES, USER_ROLES, AccessError, Directory
from spanledger.cli import main
from spanledger.commands_jobs import door_options
from spanledger.jobs_client import bearer, server_answers
from spanledger.settings import load_settings
from spanledger.tables import render


def _call(url: str, data_dir: str | None, method: str, path: str, body: dict[str, Any] | None,
          local: Callable[[Directory], Any]) -> Any:
    try:
        settings = load_settings(data_dir=data_dir)
    except Exception as exc:
        raise click.ClickException(str(exc)) from None
    if server_answers(url):
        response = httpx.request(method, url.rstrip("/") + path, json=body, headers=bearer(settings.api_key), timeout=60)
        if response.status_code != 200:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise click.ClickException(f"{response.status_code}: {detail}")
        return response.json()
    from store import open_store

    try:
        store = open_store(settings)
    except Exception as exc:
        raise click.ClickException(f"no server at {url} and cannot open the store: {exc}") from None
    try:
        return local(Directory(store))
    except AccessError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()


def _table(rows: list[dict[str, Any]], columns: list[str], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, indent=2, default=str)
    return render(columns, [[row.get(column) for column in columns] for row in rows], "table")


@main.group()
def keys() -> None:
    """API keys: each maps to a tenant and a role (ingest, viewer, admin); stored hashed."""


@keys.command("create")
@click.option("--tenant", required=True, help="The tenant whose spans the key sends and reads.")
@click.option("--role", type=click.Choice(KEY_ROLES), default="ingest", show_default=True,
              help="ingest: send spans; viewer: also read its tenant; admin: everything.")
@click.option("--name", default="", help="What the key is for (shown by list).")
@door_options
def keys_create(tenant: str, role: str, name: str, url: str, data_dir: str | None) -> None:
    """Create a key and print it: it is shown this once."""
    created = _call(url, data_dir, "POST", "/api/keys", {"tenant": tenant, "role": role, "name": name},
                    lambda directory: directory.create_key(tenant, role, name))
    click.echo(created["key"])
    click.echo(f"key {created['key_id']} for tenant {tenant} ({role}); it is not shown again", err=True)


@keys.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@door_options
def keys_list(fmt: str, url: str, data_dir: str | None) -> None:
    """The keys (never the keys themselves): id, tenant, role, name, created, revoked."""
    found = _call(url, data_dir, "GET", "/api/keys", None, lambda directory: {"keys": directory.list_keys()})
    click.echo(_table(found["keys"], ["key_id", "tenant", "role", "name", "created_at", "revoked"], fmt))


@keys.command("revoke")
@click.argument("key_id")
@door_options
def keys_revoke(key_id: str, url: str, data_dir: str | None) -> None:
    """Revoke a key by its id (or the key itself): refused at once by this server, within a second by others."""
    key_id = key_id.removeprefix("sl_").split("_")[0]
    _call(url, data_dir, "POST", f"/api/keys/{key_id}/revoke", None, lambda directory: directory.revoke_key(key_id))
    click.echo(f"revoked {key_id}")


@main.group()
def users() -> None:
    """Local users of the UI and API: viewers read one tenant, admins everything."""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(USER_ROLES), default="viewer", show_default=True)
@click.option("--tenant", default="default", show_default=True, help="The tenant a viewer reads.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
@click.option("--no-password", is_flag=True, help="No password: the user signs in through the trusted proxy only.")
@door_options
def users_create(username: str, role: str, tenant: str, password_stdin: bool, no_password: bool, url: str, data_dir: str | None) -> None:
    """Create (or replace) a user; the password is stored as an argon2 hash."""
    if no_password:
        password = ""
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    body = {"username": username, "password": password, "role": role, "tenant": tenant}
    _call(url, data_dir, "POST", "/api/users", body, lambda directory: directory.create_user(username, password, role, tenant))
    click.echo(f"user {username}: {role} of tenant {tenant}")


@users.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@door_options
def users_list(fmt: str, url: str, data_dir: str | None) -> None:
    """The users: name, role, tenant, whether they have a password."""
    found = _call(url, data_dir, "GET", "/api/users", None, lambda directory: {"users": directory.list_users()})
    click.echo(_table(found["users"], ["username", "role", "tenant", "password", "created_at"], fmt))


@users.command("delete")
@click.argument("username")
@door_options
def users_delete(username: str, url: str, data_dir: str | None) -> None:
    """Delete a user: their UI session ends at their next request."""
    _call(url, data_dir, "DELETE", f"/api/users/{username}", None, lambda directory: directory.delete_user(username))
    click.echo(f"deleted {username}")
