"""``scimcore serve``: a directory served over HTTP, for pointing Entra's or Okta's test connection at it.

``scimcore serve --token SECRET`` serves Users and Groups at ``http://127.0.0.1:8000/scim/v2`` with uvicorn
(the optional extra ``scimcore[server]``). ``--store`` is ``memory`` (the default), a SQLite file path, or a
PostgreSQL DSN (``postgresql://...``); ``--demo-users N`` adds N generated users first. Safe by default: a bearer
token is required (``--token``, repeatable, or the ``SCIMCORE_TOKEN`` environment variable) unless
``--no-auth`` says otherwise. ``--base-url`` is the public URL when the server sits behind a proxy.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

__all__ = ["add_serve_command", "build_service"]

MOUNT = "/scim/v2"


def add_serve_command(sub: Any) -> None:
    """Register ``scimcore serve`` on the command line's subparsers."""
    serve = sub.add_parser("serve", help="serve a SCIM directory over HTTP (needs scimcore[server])")
    serve.add_argument("--store", default="memory", help="memory (default), a SQLite file, or a PostgreSQL DSN")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--base-url", help=f"the public URL of the service (default http://HOST:PORT{MOUNT})")
    serve.add_argument("--token", action="append", default=[], help="accepted bearer token (repeatable)")
    serve.add_argument("--no-auth", action="store_true", help="serve without authentication (testing only)")
    serve.add_argument("--demo-users", type=int, default=0, help="generated users to add first (default 0)")
    serve.add_argument("--policy", choices=("default", "strict", "entra"), default="default")
    serve.set_defaults(run=run)


def build_service(
    store: str = "memory",
    *,
    base_url: str,
    tokens: list[str] | None = None,
    demo_users: int = 0,
    policy: str = "default",
) -> Any:
    """The ``Service`` that ``scimcore serve`` runs: User and Group stores of the kind ``store`` names."""
    from ..directory import Directory
    from ..policy import policy_named
    from .auth import bearer_token
    from .service import Service

    stores: dict[str, Any]
    if store == "memory":
        stores = {"User": Directory("User"), "Group": Directory("Group")}
    else:
        from ..sql import SqlDirectory

        if store.startswith(("postgresql://", "postgres://")):
            import psycopg

            stores = {name: SqlDirectory(psycopg.connect(store, autocommit=True), name) for name in ("User", "Group")}
        else:
            stores = {name: SqlDirectory(store, name) for name in ("User", "Group")}
    if demo_users:
        from ..demo import generate_users

        users = [{k: v for k, v in user.items() if k not in ("id", "meta")} for user in generate_users(demo_users)]
        stores["User"].extend(users)
    return Service(
        stores,
        base_url=base_url,
        policy=policy_named(policy),
        authenticate=bearer_token(*tokens) if tokens else None,
    )


def run(args: argparse.Namespace) -> int:
    tokens = list(args.token)
    if os.environ.get("SCIMCORE_TOKEN"):
        tokens.append(os.environ["SCIMCORE_TOKEN"])
    if not tokens and not args.no_auth:
        print("scimcore serve: give --token (or SCIMCORE_TOKEN), or --no-auth to serve without one", file=sys.stderr)
        return 2
    try:
        import uvicorn
    except ImportError:
        print("scimcore serve needs uvicorn: pip install 'scimcore[server]'", file=sys.stderr)
        return 1
    from .asgi import asgi_app

    base_url = args.base_url or f"http://{args.host}:{args.port}{MOUNT}"
    service = build_service(
        args.store, base_url=base_url, tokens=tokens, demo_users=args.demo_users, policy=args.policy
    )
    print(f"scimcore serve: {base_url} ({args.store}, {len(service.stores['User'])} users)", file=sys.stderr)
    uvicorn.run(_mounted(asgi_app(service), MOUNT), host=args.host, port=args.port, log_level="info")
    return 0


def _mounted(app: Any, prefix: str) -> Any:
    """``app`` mounted at ``prefix`` (the ASGI ``root_path``, which ``asgi_app`` routes below)."""

    async def mounted(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "root_path": scope.get("root_path", "") + prefix}
        await app(scope, receive, send)

    return mounted
