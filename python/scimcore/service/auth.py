"""Authentication hooks (RFC 7644 §2; RFC 6750 bearer tokens).

An ``authenticate`` hook takes the :class:`~scimcore.service.http.Request` and returns a principal (any object
but ``None``: it is stored as ``request.principal`` and reaches the policy choice and the ``/Me`` mapping), or
``None`` to refuse (401 with ``WWW-Authenticate``); it may also raise a ``ScimError`` (403, say). A hook may carry
``authentication_schemes`` (RFC 7643 §5 ``authenticationSchemes`` values) and ``challenge`` (the
``WWW-Authenticate`` value), which the service advertises.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from .http import Request

__all__ = ["BearerToken", "bearer_token"]

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
