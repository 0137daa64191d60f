"""``scimcore.wsgi_app(service)``: the service as a PEP 3333 application.

It routes on ``PATH_INFO`` (the path below ``SCRIPT_NAME``, so the app can be mounted anywhere) plus
``QUERY_STRING``, reads at most the body limit of the service (a longer body is answered 413 without reading it
all), and adds ``Content-Length``. Header values are the WSGI ``HTTP_*`` variables, ``CONTENT_TYPE`` and
``CONTENT_LENGTH``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from ..errors import ScimError
from .http import LowerHeaders, error_response
from .service import Service

__all__ = ["wsgi_app"]

StartResponse = Callable[..., Any]

_SAFE = "/:@!$&'()*+,;=-._~"
_UNCHANGED = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=\-._~]*").fullmatch
_REASONS = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


def wsgi_app(service: Service) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """A PEP 3333 application serving ``service``."""
    limit = max(service.limits.max_body_bytes, service.limits.bulk_max_payload_size)
    handle = service.handle

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        headers = _headers(environ)
        body = b""
        length_text = environ.get("CONTENT_LENGTH") or ""
        try:
            length = int(length_text) if length_text.strip() else 0
        except ValueError:
            length = -1
        if length > limit:
            response = error_response(
                ScimError(f"the request body is {length} bytes, over the limit ({limit})", status=413)
            )
        elif length < 0:
            response = error_response(ScimError("Content-Length is not a number", status=400))
        else:
            if length:
                body = environ["wsgi.input"].read(length)
            path = _path(environ.get("PATH_INFO") or "/")
            query = environ.get("QUERY_STRING") or ""
            target = f"{path}?{query}" if query else path
            response = handle(environ.get("REQUEST_METHOD") or "GET", target, headers, body)
        status = _REASONS.get(response.status) or f"{response.status} Unknown"
        response.headers.append(("Content-Length", str(len(response.body))))
        start_response(
            status, [(name, value if value.isascii() else _latin1(value)) for name, value in response.headers]
        )
        return [response.body]

    return app


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
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8").decode("latin-1")
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
    return quote(path, safe=_SAFE)
