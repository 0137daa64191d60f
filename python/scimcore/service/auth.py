"""Authentication hooks (RFC 7644 §2; RFC 6750 bearer tokens).

An ``authenticate`` hook takes the :class:`~scimcore.service.http.Request` and returns a principal (any object
but ``None``: it is stored as ``request.principal`` and reaches the policy choice and the ``/Me`` mapping), or
``None`` to refuse (401 with ``WWW-Authenticate``); it may also raise a ``ScimError`` (403, say). A hook may carry
``authentication_schemes`` (RFC 7643 §5 ``authenticationSchemes`` values) and ``challenge`` (the
``WWW-Authenticate`` value), which the service advertises.

:func:`limit_failures` wraps a hook so that failed authentications are counted per caller (the peer address the
adapters record in :data:`PEER`) and, past a limit within a window, refused with 429 and ``Retry-After``
(RFC 6585 §4) before the hook even runs.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

from ..errors import ScimError
from .http import Request

__all__ = ["PEER", "BearerToken", "FailureLimit", "TooManyRequests", "bearer_token", "limit_failures"]

PEER: ContextVar[str | None] = ContextVar("scimcore_service_peer", default=None)
"""The caller's network address, set by ``wsgi_app`` / ``asgi_app`` around ``Service.handle`` (``None``
elsewhere)."""

_OAUTH_BEARER = {
    "type": "oauthbearertoken",
    "name": "OAuth Bearer Token",
    "description": "Authentication with a bearer token in the Authorization header (RFC 6750)",
    "specUri": "https://www.rfc-editor.org/info/rfc6750",
    "primary": True,
}


class BearerToken:
    """An ``authenticate`` hook accepting ``Authorization: Bearer <token>`` for any of its tokens.

    Every token is compared in constant time (``hmac.compare_digest``), and all of them are always compared, so
    the time taken says nothing about which token, or how much of one, matched. The principal is the token's
    value in the mapping given (``bearer_token({"t1": "entra"})``), else the token's position (0, 1, ...).
    """

    authentication_schemes = (_OAUTH_BEARER,)
    challenge = 'Bearer realm="SCIM"'

    def __init__(self, tokens: Mapping[str, Any]) -> None:
        if not tokens:
            raise ValueError("bearer_token needs at least one token")
        pairs = []
        for token, principal in tokens.items():
            if not isinstance(token, str) or not token.strip() or token != token.strip():
                raise ValueError("a bearer token must be a non-empty string without surrounding spaces")
            if principal is None:
                raise ValueError("a bearer token's principal must not be None (None means: refused)")
            pairs.append((token.encode("utf-8"), principal))
        self._tokens = tuple(pairs)

    def __call__(self, request: Request) -> Any:
        header = request.headers.get("authorization")
        if header is None:
            return None
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        given = credentials.strip().encode("utf-8", "surrogateescape")
        found = None
        for token, principal in self._tokens:
            if hmac.compare_digest(given, token) and found is None:
                found = (principal,)
        return None if found is None else found[0]

    def __repr__(self) -> str:
        return f"bearer_token(<{len(self._tokens)} token(s)>)"


def bearer_token(*tokens: str | Mapping[str, Any]) -> BearerToken:
    """The ready ``authenticate`` hook for ``Authorization: Bearer <token>`` (RFC 6750 §2.1).

    ``bearer_token("t1", "t2")``: several tokens, for rotation; the principal is the token's position.
    ``bearer_token({"t1": "entra", "t2": "okta"})``: the principal is the value, so that a server can choose a
    policy per client.
    """
    table: dict[str, Any] = {}
    for item in tokens:
        if isinstance(item, Mapping):
            table.update(item)
        else:
            table[item] = len(table)
    return BearerToken(table)


class TooManyRequests(ScimError):
    """Too many failed authentications from one caller (429, RFC 6585 §4), with ``Retry-After`` seconds."""

    status = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class FailureLimit:
    """An ``authenticate`` hook counting the failures of the hook it wraps, per caller, in fixed windows.

    A caller (``key(request)``, by default the peer address of :data:`PEER`, else one shared key) that failed
    ``max_failures`` times within the current window of ``window`` seconds gets 429 with ``Retry-After`` (the
    seconds left in the window) until the window ends; its good credentials are not even tried meanwhile, so
    guessing gains nothing. ``failures`` counts every failure seen; ``refused`` every 429. At most ``max_callers``
    callers are tracked (the oldest windows are forgotten first), so memory stays bounded.
    """

    def __init__(
        self,
        hook: Callable[[Request], Any],
        *,
        max_failures: int = 10,
        window: float = 60.0,
        key: Callable[[Request], str | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = 100_000,
    ) -> None:
        if max_failures < 1 or window <= 0:
            raise ValueError("max_failures must be at least 1 and window positive")
        self.hook = hook
        self.max_failures = max_failures
        self.window = window
        self.key = key or (lambda request: PEER.get())
        self.clock = clock
        self.max_callers = max_callers
        self.failures = 0
        self.refused = 0
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self.authentication_schemes = getattr(hook, "authentication_schemes", ())
        self.challenge: str = getattr(hook, "challenge", 'Bearer realm="SCIM"')

    def __call__(self, request: Request) -> Any:
        caller = self.key(request) or "*"
        now = self.clock()
        with self._lock:
            start, count = self._windows.get(caller, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            if count >= self.max_failures:
                self.refused += 1
                wait = max(1, int(start + self.window - now + 0.999))
                raise TooManyRequests(f"too many failed authentications; retry in {wait} s", retry_after=wait)
        principal = self.hook(request)
        if principal is None:
            with self._lock:
                self.failures += 1
                start, count = self._windows.pop(caller, (now, 0))
                if now - start >= self.window:
                    start, count = now, 0
                self._windows[caller] = (start, count + 1)  # re-inserted last: the dict is oldest-first
                while len(self._windows) > self.max_callers:
                    del self._windows[next(iter(self._windows))]
        return principal


def limit_failures(hook: Callable[[Request], Any], **options: Any) -> FailureLimit:
    """``hook`` with its failures counted and limited (see :class:`FailureLimit` for ``options``)."""
    return FailureLimit(hook, **options)
