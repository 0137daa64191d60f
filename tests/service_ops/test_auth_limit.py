"""Failed authentications are counted per caller and limited: 429 with ``Retry-After`` (RFC 6585 §4), then
served again once the window is over; other callers are not affected (issue 17)."""

from __future__ import annotations

import scimcore
from scimcore.service.auth import FailureLimit, limit_failures

from .edge import BASE, assert_scim_error, call_asgi, call_wsgi


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _service(clock: Clock) -> tuple[scimcore.Service, FailureLimit]:
    hook = limit_failures(scimcore.bearer_token("good"), max_failures=3, window=60, clock=clock)
    service = scimcore.Service({"User": scimcore.Directory("User")}, base_url=BASE, authenticate=hook)
    return service, hook


def test_failures_are_limited_with_retry_after() -> None:
    clock = Clock()
    service, hook = _service(clock)
    app = scimcore.wsgi_app(service)
    bad, good = [("Authorization", "Bearer bad")], [("Authorization", "Bearer good")]
    for _ in range(3):
        status, headers, body = call_wsgi(app, "GET", "/Users", headers=bad)
        assert_scim_error(status, body, 401)
    assert hook.failures == 3
    clock.now += 20
    for headers_sent in (bad, good):  # good credentials too: guessing is paused, not only failing
        status, headers, body = call_wsgi(app, "GET", "/Users", headers=headers_sent)
        assert_scim_error(status, body, 429)
        assert headers["retry-after"] == "40"
    assert hook.refused == 2 and hook.failures == 3
    # another caller (another peer address) is not limited
    status, _, _ = call_wsgi(app, "GET", "/Users", headers=good, extra={"REMOTE_ADDR": "127.0.0.2"})
    assert status == 200
    status, headers, body, _ = call_asgi(scimcore.asgi_app(service), "GET", "/Users", headers=good)
    assert_scim_error(status, body, 429)
    assert headers["retry-after"] == "40"
    clock.now += 40  # the window is over
    status, _, _ = call_wsgi(app, "GET", "/Users", headers=good)
    assert status == 200


def test_the_limiter_keeps_the_hooks_advertisement() -> None:
    service, _ = _service(Clock())
    config = service.handle("GET", "/ServiceProviderConfig", {"Authorization": "Bearer good"})
    assert b"oauthbearertoken" in config.body
    unauthorized = service.handle("GET", "/Users", {})
    assert unauthorized.status == 401 and unauthorized.header("WWW-Authenticate") == 'Bearer realm="SCIM"'


def test_tracked_callers_are_bounded() -> None:
    clock = Clock()
    hook = limit_failures(scimcore.bearer_token("good"), max_failures=1, clock=clock, max_callers=10)
    service = scimcore.Service({"User": scimcore.Directory("User")}, base_url=BASE, authenticate=hook)
    app = scimcore.wsgi_app(service)
    for index in range(50):
        call_wsgi(
            app, "GET", "/Users", headers=[("Authorization", "Bearer x")], extra={"REMOTE_ADDR": f"10.0.0.{index}"}
        )
    assert len(hook._windows) == 10 and hook.failures == 50
    # the newest are kept: the last caller is refused, the first (forgotten) is tried again
    status, _, _ = call_wsgi(
        app, "GET", "/Users", headers=[("Authorization", "Bearer good")], extra={"REMOTE_ADDR": "10.0.0.49"}
    )
    assert status == 429
    status, _, _ = call_wsgi(
        app, "GET", "/Users", headers=[("Authorization", "Bearer good")], extra={"REMOTE_ADDR": "10.0.0.0"}
    )
    assert status == 200
