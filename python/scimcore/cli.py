"""The ``scimcore`` command line: query a directory, parse filters, apply PATCH, validate, discover, benchmark.

Every command prints JSON (or text) on standard output and exits 0; bad input prints a message for people on
standard error and exits 1 (2 for a usage error). Filter and path errors show the input with a caret under the
offending character; PATCH and validation errors print the RFC 7644 §3.12 ``Error`` message.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import msgspec

from . import __version__
from .errors import InvalidFilter, InvalidPath, ScimError

_encoder = msgspec.json.Encoder(decimal_format="number")


class CliError(Exception):
    """A problem with the command's own input (a missing file, a document that is not JSON): one clear line."""


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except (InvalidFilter, InvalidPath) as exc:
        _print_syntax_error(exc, getattr(args, "text_for_caret", None))
        return 1
    except ScimError as exc:
        _print_json(exc.to_error(), stream=sys.stderr)
        return 1
    except CliError as exc:
        print(f"scimcore {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


# -- commands ------------------------------------------------------------------------------------------------


def _cmd_query(args) -> int:
    from .query import search

    args.text_for_caret = args.filter
    if args.input is None:
        from .demo import generate_users

        if args.resource_type.lower() != "user":
            raise CliError("the built-in demo directory holds users: use --resource-type User or --input FILE")
        if args.demo_size < 0:
            raise CliError("--demo-size must not be negative")
        resources = generate_users(args.demo_size)
    else:
        resources = _read_resources(args.input)
    page = search(
        resources,
        resource_type=args.resource_type,
        filter=args.filter,
        sort_by=args.sort_by,
        sort_order=args.sort_order,
        start_index=args.start_index,
        count=args.count,
        attributes=args.attributes,
        excluded_attributes=args.excluded_attributes,
    )
    _print_json(page)
    return 0


def _cmd_parse(args) -> int:
    from .filter.ast import filter_to_json
    from .filter.parse import parse_filter, parse_path

    args.text_for_caret = args.filter
    ast = parse_path(args.filter) if args.path else parse_filter(args.filter)
    print(str(ast))
    if args.json:
        print(json.dumps(json.loads(filter_to_json(ast)), indent=2, ensure_ascii=False))
    return 0


def _cmd_patch(args) -> int:
    from .patch import apply_patch
    from .policy import policy_named

    resource = _read_json(args.resource, "resource")
    if not isinstance(resource, dict):
        raise CliError(f"{args.resource}: a resource must be a JSON object")
    patch = _read_json(args.patch, "PATCH request")
    patched = apply_patch(resource, patch, resource_type=args.resource_type, policy=policy_named(args.policy))
    _print_json(patched)
    return 0


def _cmd_validate(args) -> int:
    from .schema.codec import normalize

    document = _read_json(args.file, "resource")
    if not isinstance(document, dict):
        raise CliError(f"{args.file}: a resource must be a JSON object")
    normalized = normalize(document, resource_type=args.resource_type)
    label = normalized.get("userName") or normalized.get("displayName") or normalized.get("id") or ""
    print(f"valid {args.resource_type} {label}".rstrip())
    return 0


def _cmd_schemas(args) -> int:
    from .schema.default import registry

    _print_json(registry.schemas())
    return 0


def _cmd_resource_types(args) -> int:
    from .schema.default import registry

    _print_json(registry.resource_types())
    return 0


def _cmd_bench(args) -> int:
    from .bench import run_directory_benchmark

    if args.users < 1:
        raise CliError("--users must be at least 1")
    progress = _Progress(enabled=not args.quiet)
    table = run_directory_benchmark(users=args.users, progress=progress)
    progress.done()
    print(table)
    return 0


# -- helpers -------------------------------------------------------------------------------------------------


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scimcore", description="SCIM 2.0 core: filters, queries, PATCH, schemas (RFC 7643/7644)."
    )
    parser.add_argument("--version", action="version", version=f"scimcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    query = sub.add_parser("query", help="search a directory and print the ListResponse JSON")
    query.add_argument("filter", nargs="?", default=None, help="a SCIM filter, e.g. 'userName sw \"j\"'")
    query.add_argument(
        "--input",
        help="resources as NDJSON or a JSON array ('-' for standard input); "
        "default: a built-in demo directory of generated users",
    )
    query.add_argument("--demo-size", type=int, default=1000, help="users in the demo directory (default 1000)")
    query.add_argument("--resource-type", default="User")
    query.add_argument("--sort-by")
    query.add_argument("--sort-order", choices=("ascending", "descending"), default="ascending")
    query.add_argument("--start-index", type=int, default=1)
    query.add_argument("--count", type=int)
    query.add_argument("--attributes", help="comma-separated attribute names to return")
    query.add_argument("--excluded-attributes", help="comma-separated attribute names to leave out")
    query.set_defaults(run=_cmd_query)

    parse = sub.add_parser("parse", help="parse a filter and print its canonical form")
    parse.add_argument("filter")
    parse.add_argument("--json", action="store_true", help="also print the AST as JSON")
    parse.add_argument("--path", action="store_true", help="parse a PATCH path instead of a filter")
    parse.set_defaults(run=_cmd_parse)

    patch = sub.add_parser("patch", help="apply a PatchOp to a resource and print the result")
    patch.add_argument("resource", help="the resource: a JSON file, '-' for standard input, or inline JSON")
    patch.add_argument("patch", help="the PatchOp (or a list of operations): a JSON file, '-', or inline JSON")
    patch.add_argument("--policy", choices=("default", "strict", "entra"), default="default")
    patch.add_argument("--resource-type", default="User")
    patch.set_defaults(run=_cmd_patch)

    validate = sub.add_parser("validate", help="check a resource document against its schema")
    validate.add_argument("file", help="a JSON file, '-' for standard input, or inline JSON")
    validate.add_argument("--resource-type", default="User")
    validate.set_defaults(run=_cmd_validate)

    schemas = sub.add_parser("schemas", help="print the /Schemas discovery document")
    schemas.set_defaults(run=_cmd_schemas)
    resource_types = sub.add_parser("resource-types", help="print the /ResourceTypes discovery document")
    resource_types.set_defaults(run=_cmd_resource_types)

    bench = sub.add_parser("bench", help="run the large-directory benchmark and print its table")
    bench.add_argument("--users", type=int, default=100_000, help="directory size (default 100000)")
    bench.add_argument("--quiet", action="store_true", help="no progress indicator")
    bench.set_defaults(run=_cmd_bench)

    from .service.serve import add_serve_command

    add_serve_command(sub)
    return parser


def _read_text(source: str, what: str) -> str:
    """``-`` is standard input; text starting with ``{`` or ``[`` is inline JSON; anything else a file path."""
    if source == "-":
        return sys.stdin.read()
    if source.lstrip().startswith(("{", "[")):
        return source
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{source}: is a directory, expected a {what} file") from None
    except UnicodeDecodeError:
        raise CliError(f"{source}: not UTF-8 text") from None
    except OSError as exc:
        raise CliError(f"{source}: {exc.strerror or exc}") from None


def _read_json(source: str, what: str):
    text = _read_text(source, what)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise CliError(f"{source if len(source) < 60 else what}: not JSON ({exc})") from None


def _read_resources(source: str) -> list[dict]:
    """A JSON array of resources, or NDJSON (one resource per line)."""
    text = _read_text(source, "resources")
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            items = json.loads(text)
        else:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
    except (ValueError, RecursionError) as exc:
        raise CliError(f"{source}: not JSON or NDJSON ({exc})") from None
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise CliError(f"{source}: item {number} is not a resource (a JSON object)")
    return items


def _print_json(obj, stream=None) -> None:
    stream = stream or sys.stdout
    data = json.loads(_encoder.encode(obj))
    stream.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _print_syntax_error(exc: InvalidFilter | InvalidPath, text: str | None) -> None:
    """The input with a caret under the offending character, then the SCIM scimType and the detail."""
    out = sys.stderr
    if text is not None and exc.position is not None and "\n" not in text and len(text) <= 500:
        out.write(f"  {text}\n  {' ' * exc.position}^\n")
    out.write(f"error: {exc.scim_type} (status {exc.status}): {exc.detail}\n")


class _Progress:
    """A one-line progress indicator on standard error (only on a terminal, or when forced)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._last = ""

    def __call__(self, message: str, fraction: float | None = None) -> None:
        if not self.enabled:
            return
        line = message if fraction is None else f"{message} {fraction * 100:5.1f}%"
        if line != self._last:
            sys.stderr.write("\r" + line.ljust(len(self._last)))
            sys.stderr.flush()
            self._last = line

    def done(self) -> None:
        if self.enabled and self._last:
            sys.stderr.write("\r" + " " * len(self._last) + "\r")
            sys.stderr.flush()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
