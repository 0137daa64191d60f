"""The protocol layer (RFC 7644 §3-§4): ``Service`` (sans-IO), its WSGI and ASGI adapters, authentication hooks."""

from .asgi import asgi_app
from .auth import BearerToken, bearer_token
from .http import Request, Response, Unauthorized
from .service import Service
from .wsgi import wsgi_app

__all__ = ["BearerToken", "Request", "Response", "Service", "Unauthorized", "asgi_app", "bearer_token", "wsgi_app"]
