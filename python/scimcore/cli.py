"""The ``scimcore`` command line: query a directory, parse filters, apply PATCH, validate, discover, benchmark.

Every command prints JSON (or text) on standard output and exits 0. Bad input prints a message for people on
standard error and exits 1; a usage error (an unknown option, a missing argument) exits 2. ``query`` and
``parse`` show a filter error as the input with a caret under the offending character; ``patch`` and
``validate`` print every SCIM error as the RFC 7644 §3.12 ``Error`` message. A filter argument may be ``-``
(read it from standard input) or ``@FILE`` (read it from a file), for filters too long for a command line.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
import warnings
from pathlib import Path
from typing import Any, TextIO

import msgspec

from . import __version__
from .errors import InvalidFilter, InvalidPath, ScimError

_encoder = msgspec.json.Encoder(decimal_format="number")

EXIT_STATUS = "exit status: 0 success, 1 bad input (a message on standard error), 2 usage error"
_CARET_CONTEXT = 60  # characters shown on each side of the caret in a long line


class CliError(Exception):
    """A problem with the command's own input (a missing file, a document that is not JSON): one clear line."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    warnings.formatwarning = _format_warning
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except ScimError as exc:
        text = getattr(args, "text_for_caret", None)
        if text is not None and isinstance(exc, (InvalidFilter, InvalidPath)):
            _print_syntax_error(exc, text)
        else:
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


def _cmd_query(args: argparse.Namespace) -> int:
    from .query import search

    if args.filter == "-" and args.input == "-":
        raise CliError("the filter and --input cannot both be standard input")
    filter_text = args.text_for_caret = None if args.filter is None else _argument_text(args.filter, "filter")
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
        filter=filter_text,
        sort_by=args.sort_by,
        sort_order=args.sort_order,
        start_index=args.start_index,
        count=args.count,
        attributes=args.attributes,
        excluded_attributes=args.excluded_attributes,
    )
    _print_json(page)
    return 0


def _cmd_parse(args: argparse.Namespace) -> int:
    from .filter.ast import filter_to_json
    from .filter.parse import parse_filter, parse_path

    text = args.text_for_caret = _argument_text(args.filter, "path" if args.path else "filter")
    ast = parse_path(text) if args.path else parse_filter(text)
    print(str(ast))
    if args.json:
        print(json.dumps(json.loads(filter_to_json(ast)), indent=2, ensure_ascii=False))
    return 0


def _cmd_patch(args: argparse.Namespace) -> int:
    from .patch import apply_patch
    from .policy import policy_named

    resource = _read_json(args.resource, "resource")
    if not isinstance(resource, dict):
        raise CliError(f"{args.resource}: a resource must be a JSON object")
    patch = _read_json(args.patch, "PATCH request")
    patched = apply_patch(resource, patch, resource_type=args.resource_type, policy=policy_named(args.policy))
    _print_json(patched)
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from .schema.codec import normalize

    document = _read_json(args.file, "resource")
    if not isinstance(document, dict):
        raise CliError(f"{args.file}: a resource must be a JSON object")
    normalized = normalize(document, resource_type=args.resource_type)
    label = normalized.get("userName") or normalized.get("displayName") or normalized.get("id") or ""
    print(f"valid {args.resource_type} {label}".rstrip())
    return 0


def _cmd_schemas(args: argparse.Namespace) -> int:
    from .schema.default import registry

    _print_json(registry.schemas())
    return 0


def _cmd_resource_types(args: argparse.Namespace) -> int:
    from .schema.default import registry

    _print_json(registry.resource_types())
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
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
        prog="scimcore",
        description="SCIM 2.0 core: filters, queries, PATCH, schemas (RFC 7643/7644).",
        epilog=EXIT_STATUS,
    )
    parser.add_argument("--version", action="version", version=f"scimcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    query = sub.add_parser("query", help="search a directory and print the ListResponse JSON", epilog=EXIT_STATUS)
    query.add_argument(
        "filter", nargs="?", default=None, help="a SCIM filter, e.g. 'userName sw \"j\"'; '-' or @FILE to read it"
    )
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

    parse = sub.add_parser("parse", help="parse a filter and print its canonical form", epilog=EXIT_STATUS)
    parse.add_argument("filter", help="a SCIM filter (or, with --path, a PATCH path); '-' or @FILE to read it")
    parse.add_argument("--json", action="store_true", help="also print the AST as JSON")
    parse.add_argument("--path", action="store_true", help="parse a PATCH path instead of a filter")
    parse.set_defaults(run=_cmd_parse)

    patch = sub.add_parser("patch", help="apply a PatchOp to a resource and print the result", epilog=EXIT_STATUS)
    patch.add_argument("resource", help="the resource: a JSON file, '-' for standard input, or inline JSON")
    patch.add_argument("patch", help="the PatchOp (or a list of operations): a JSON file, '-', or inline JSON")
    patch.add_argument("--policy", choices=("default", "strict", "entra"), default="default")
    patch.add_argument("--resource-type", default="User")
    patch.set_defaults(run=_cmd_patch)

    validate = sub.add_parser("validate", help="check a resource document against its schema", epilog=EXIT_STATUS)
    validate.add_argument("file", help="a JSON file, '-' for standard input, or inline JSON")
    validate.add_argument("--resource-type", default="User")
    validate.set_defaults(run=_cmd_validate)

    schemas = sub.add_parser("schemas", help="print the /Schemas discovery document")
    schemas.set_defaults(run=_cmd_schemas)
    resource_types = sub.add_parser("resource-types", help="print the /ResourceTypes discovery document")
    resource_types.set_defaults(run=_cmd_resource_types)

    bench = sub.add_parser("bench", help="run the large-directory benchmark and print its table", epilog=EXIT_STATUS)
    bench.add_argument("--users", type=int, default=100_000, help="directory size (default 100000)")
    bench.add_argument("--quiet", action="store_true", help="no progress indicator")
    bench.set_defaults(run=_cmd_bench)

    from .service.serve import add_serve_command

    add_serve_command(sub)
    return parser


def _argument_text(argument: str, what: str) -> str:
    """A filter or path argument: ``-`` reads standard input, ``@FILE`` a file (without a final newline)."""
    if argument == "-":
        return sys.stdin.read().removesuffix("\n").removesuffix("\r")
    if argument.startswith("@"):
        return _read_text(argument[1:], what, inline=False).removesuffix("\n").removesuffix("\r")
    return argument


def _read_text(source: str, what: str, *, inline: bool = True) -> str:
    """``-`` is standard input; text starting with ``{`` or ``[`` is inline JSON; anything else a file path."""
    if source == "-":
        return sys.stdin.read()
    if inline and source.lstrip().startswith(("{", "[")):
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


def _read_json(source: str, what: str) -> Any:
    text = _read_text(source, what)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise CliError(f"{source if len(source) < 60 else what}: not JSON ({exc})") from None


def _read_resources(source: str) -> list[dict]:
    """A JSON array of resources, or NDJSON (one resource per line)."""
    text = _read_text(source, "resources")
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise CliError(f"{source}: not a JSON array ({exc})") from None
    else:
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except (ValueError, RecursionError) as exc:
                message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                raise CliError(f"{source}: line {number} is not JSON ({message})") from None
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise CliError(f"{source}: item {number} is not a resource (a JSON object)")
    return items


def _print_json(obj: object, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    data = json.loads(_encoder.encode(obj))
    stream.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _print_syntax_error(exc: InvalidFilter | InvalidPath, text: str) -> None:
    """The input with a caret under the offending character, then the SCIM scimType and the detail."""
    out = sys.stderr
    if exc.position is not None:
        line, caret = caret_lines(text, exc.position)
        out.write(f"  {line}\n  {caret}\n")
    out.write(f"error: {exc.scim_type} (status {exc.status}): {exc.detail}\n")


def caret_lines(text: str, position: int) -> tuple[str, str]:
    """The line of ``text`` holding character ``position`` and a line with a caret under that character.

    A long line is cut to ``_CARET_CONTEXT`` characters on each side (marked ``...``). The caret line repeats
    tabs, takes two columns for a wide (East Asian) character and none for a combining mark, so that the caret
    lines up in a terminal; other control characters are shown as ``?``.
    """
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[start : len(text) if end < 0 else end]
    column = position - start
    if column > _CARET_CONTEXT:
        line, column = "..." + line[column - _CARET_CONTEXT :], _CARET_CONTEXT + 3
    if len(line) > column + _CARET_CONTEXT:
        line = line[: column + _CARET_CONTEXT] + "..."
    line = "".join("?" if unicodedata.category(c) == "Cc" and c != "\t" else c for c in line)
    return line, "".join(_caret_width(c) for c in line[:column]) + "^"


def _caret_width(char: str) -> str:
    if char == "\t":
        return "\t"
    if unicodedata.combining(char):
        return ""
    return "  " if unicodedata.east_asian_width(char) in ("W", "F") else " "


def _format_warning(
    message: Warning | str, category: type[Warning], filename: str, lineno: int, line: str | None = None
) -> str:
    return f"scimcore: warning: {message}\n"


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
