"""``scimcore.wsgi_app(service)``: the service as a PEP 3333 application.

It routes on ``PATH_INFO`` (the path below ``SCRIPT_NAME``, so the app can be mounted anywhere) plus
``QUERY_STRING`` and adds ``Content-Length``. Header values are the WSGI ``HTTP_*`` variables, ``CONTENT_TYPE``
and ``CONTENT_LENGTH``. The body is framed by :mod:`.body`: a declared length over the service's limit is 413
before anything is read; a body of unknown length (chunked, when the server sets ``wsgi.input_terminated``) is
counted and refused at the limit; a body cut short is never handled. ``REMOTE_ADDR`` is the caller for the
failed-authentication limit (:mod:`.auth`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from ..errors import ScimError
from .auth import PEER
from .body import ClientGone, Handler, body_limit, declared_length, header_value, read_limited
from .http import LowerHeaders, Response, error_response

__all__ = ["wsgi_app"]

StartResponse = Callable[..., Any]

_SAFE = "/:@!$&'()*+,;=-._~"
_UNCHANGED = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=\-._~]*").fullmatch
_REASONS = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


def wsgi_app(service: Handler) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """A PEP 3333 application serving ``service``."""
    limit = body_limit(service)
    handle = service.handle

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        headers = _headers(environ)
        try:
            body = _body(environ, limit)
        except ScimError as error:
            response = error_response(error)
        except ClientGone:
            response = error_response(ScimError("the request body ended early; nothing was done"))
        else:
            path = _path(environ.get("PATH_INFO") or "/")
            query = environ.get("QUERY_STRING") or ""
            target = f"{path}?{query}" if query else path
            token = PEER.set(environ.get("REMOTE_ADDR"))
            try:
                response = handle(environ.get("REQUEST_METHOD") or "GET", target, headers, body)
            finally:
                PEER.reset(token)
        return _respond(response, start_response)

    return app


def _body(environ: dict[str, Any], limit: int) -> bytes:
    """The request body, framed and limited by :mod:`.body`."""
    length = declared_length(environ.get("CONTENT_LENGTH"), environ.get("HTTP_TRANSFER_ENCODING"), limit)
    if length is None and not environ.get("wsgi.input_terminated"):
        # PEP 3333: without a Content-Length the input may only be read when the server says it ends
        if environ.get("HTTP_TRANSFER_ENCODING") is None:
            return b""
        raise ScimError("a chunked body needs a Content-Length with this server", status=411)
    if length == 0:
        return b""
    return read_limited(environ["wsgi.input"].read, length, limit)


def _respond(response: Response, start_response: StartResponse) -> Iterable[bytes]:
    status = _REASONS.get(response.status) or f"{response.status} Unknown"
    out = [(name, _latin1(header_value(value))) for name, value in response.headers]
    out.append(("Content-Length", str(len(response.body))))
    start_response(status, out)
    return [response.body]


_shape: tuple[tuple[Any, ...], tuple[tuple[str, str], ...]] = ((), ())
"""The keys of the last environ seen, and its ``(key, header name)`` pairs: a server builds every environ with
the same keys in the same order while the client sends the same headers, so the names are worked out once."""


def _headers(environ: dict[str, Any]) -> LowerHeaders:
    """The request headers: the ``HTTP_*`` variables and ``CONTENT_TYPE``, names lower-cased (PEP 3333)."""
    global _shape
    keys = tuple(environ)
    known, pairs = _shape
    if keys != known:
        pairs = tuple(
            (key, key[5:].replace("_", "-").lower()) for key in keys if type(key) is str and key[:5] == "HTTP_"
        )
        _shape = (keys, pairs)  # one assignment: threads see a consistent pair
    headers = LowerHeaders()
    for key, name in pairs:
        value = environ[key]
        headers[name] = value if type(value) is str else str(value)
    content_type = environ.get("CONTENT_TYPE")
    if content_type:
        headers["content-type"] = (
            f"{headers['content-type']}, {content_type}" if "content-type" in headers else content_type
        )
    return headers


def _latin1(value: str) -> str:
    """A header value as PEP 3333 wants it: latin-1 text (UTF-8 bytes seen as latin-1 when needed)."""
    if value.isascii():
        return value
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("latin-1")
    return value


def _path(path_info: str) -> str:
    """``PATH_INFO`` is already percent-decoded, as latin-1 text (PEP 3333): encoded again for
    ``Service.handle``, which decodes each segment once (so an id with ``%`` in it survives)."""
    if _UNCHANGED(path_info):  # nothing to re-encode: quote() would return it as it is
        return path_info
    try:
        path = path_info.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        path = path_info
    return quote(path, safe=_SAFE, errors="backslashreplace")
