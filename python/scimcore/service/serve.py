"""``scimcore serve``: a directory served over HTTP, for pointing Entra's or Okta's test connection at it.

``scimcore serve --token SECRET`` serves Users and Groups at ``http://127.0.0.1:8000/scim/v2`` with uvicorn
(the optional extra ``scimcore[server]``). ``--store`` is ``memory`` (the default), a SQLite file path, or a
PostgreSQL DSN (``postgresql://...``); ``--demo-users N`` adds N generated users first. Safe by default: a bearer
token is required (``--token``, repeatable, or the ``SCIMCORE_TOKEN`` environment variable) unless
``--no-auth`` says otherwise, and failed authentications are limited per peer (``--max-failures`` a minute, then
429 with ``Retry-After``). ``--base-url`` is the public URL when the server sits behind a proxy.

A PostgreSQL DSN is served through a ``psycopg_pool`` pool (``--pool-size`` connections a process, 5 s to get
one), which replaces broken connections: a database restart is answered 503 while it lasts, then served again.
``--workers N`` runs N processes (uvicorn's workers) over one SQLite file or PostgreSQL database, with one
cursor secret for all (``--cursor-secret``, or a random one made at start), so that a cursor issued by one
worker is honoured by another; the in-memory store is one process's own and refuses ``--workers``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from typing import Any

__all__ = ["add_serve_command", "build_service", "worker_app"]

MOUNT = "/scim/v2"
_WORKER_CONFIG = "SCIMCORE_SERVE_WORKER_CONFIG"
_HTTP = "scimcore.service.nodelay:NoDelayHTTP"  # uvicorn's protocol with TCP_NODELAY (see that module)


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
    serve.add_argument("--workers", type=int, default=1, help="processes (SQLite or PostgreSQL only; default 1)")
    serve.add_argument("--pool-size", type=int, default=10, help="PostgreSQL connections a process (default 10)")
    serve.add_argument("--max-failures", type=int, default=20, help="failed authentications a minute per peer")
    serve.add_argument("--cursor-secret", help="hex secret signing cursors (default: random at start)")
    serve.set_defaults(run=run)


def build_service(
    store: str = "memory",
    *,
    base_url: str,
    tokens: list[str] | None = None,
    demo_users: int = 0,
    policy: str = "default",
    pool_size: int = 10,
    max_failures: int = 20,
    cursor_secret: bytes | None = None,
) -> Any:
    """The ``Service`` that ``scimcore serve`` runs: User and Group stores of the kind ``store`` names."""
    from ..directory import Directory
    from ..policy import policy_named
    from .auth import bearer_token, limit_failures
    from .service import Service

    stores: dict[str, Any]
    if store == "memory":
        stores = {"User": Directory("User"), "Group": Directory("Group")}
    else:
        from ..sql import SqlDirectory

        if store.startswith(("postgresql://", "postgres://")):
            from psycopg_pool import ConnectionPool

            pool = ConnectionPool(
                store,
                min_size=1,
                max_size=pool_size,
                timeout=5,
                open=True,
                kwargs={"autocommit": True},
                check=ConnectionPool.check_connection,
            )
            stores = {name: SqlDirectory(pool, name) for name in ("User", "Group")}
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
        authenticate=limit_failures(bearer_token(*tokens), max_failures=max_failures) if tokens else None,
        cursor_secret=cursor_secret,
    )


def run(args: argparse.Namespace) -> int:
    tokens = list(args.token)
    if os.environ.get("SCIMCORE_TOKEN"):
        tokens.append(os.environ["SCIMCORE_TOKEN"])
    if not tokens and not args.no_auth:
        print("scimcore serve: give --token (or SCIMCORE_TOKEN), or --no-auth to serve without one", file=sys.stderr)
        return 2
    if args.workers > 1 and args.store == "memory":
        print(
            "scimcore serve: --workers needs a SQLite file or a PostgreSQL DSN (memory is per process)", file=sys.stderr
        )
        return 2
    try:
        import uvicorn
    except ImportError:
        print("scimcore serve needs uvicorn: pip install 'scimcore[server]'", file=sys.stderr)
        return 1
    from .asgi import asgi_app

    base_url = args.base_url or f"http://{args.host}:{args.port}{MOUNT}"
    config = {
        "store": args.store,
        "base_url": base_url,
        "tokens": tokens,
        "policy": args.policy,
        "pool_size": args.pool_size,
        "max_failures": args.max_failures,
        "cursor_secret": args.cursor_secret or secrets.token_hex(32),
    }
    service = _service(config, demo_users=args.demo_users)
    print(f"scimcore serve: {base_url} ({args.store}, {len(service.stores['User'])} users)", file=sys.stderr)
    if args.workers > 1:
        os.environ[_WORKER_CONFIG] = json.dumps(config)  # read by worker_app in each worker process
        uvicorn.run(
            "scimcore.service.serve:worker_app",
            factory=True,
            workers=args.workers,
            http=_HTTP,
            host=args.host,
            port=args.port,
            log_level="info",
        )
        return 0
    uvicorn.run(_mounted(asgi_app(service), MOUNT), http=_HTTP, host=args.host, port=args.port, log_level="info")
    return 0


def worker_app() -> Any:
    """The ASGI app of one ``--workers`` process (uvicorn's factory): the service of the parent's options."""
    from .asgi import asgi_app

    return _mounted(asgi_app(_service(json.loads(os.environ[_WORKER_CONFIG]))), MOUNT)


def _service(config: dict[str, Any], demo_users: int = 0) -> Any:
    return build_service(
        config["store"],
        base_url=config["base_url"],
        tokens=config["tokens"],
        demo_users=demo_users,
        policy=config["policy"],
        pool_size=config["pool_size"],
        max_failures=config["max_failures"],
        cursor_secret=bytes.fromhex(config["cursor_secret"]),
    )


def _mounted(app: Any, prefix: str) -> Any:
    """``app`` mounted at ``prefix`` (the ASGI ``root_path``, which ``asgi_app`` routes below)."""

    async def mounted(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "root_path": scope.get("root_path", "") + prefix}
        await app(scope, receive, send)

    return mounted
