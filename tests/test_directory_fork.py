"""A server that searched a native Directory before forking its workers (``gunicorn --preload``, a
``multiprocessing`` fork): the child's parallel scans run on threads of its own, not on the parent's scan
threads, which a forked process does not have (docs/directory.md, "Thread safety")."""

from __future__ import annotations

import os
import time

import pytest

from scimcore import Directory
from scimcore.store.native import native_module

if native_module() is None:
    if os.environ.get("CI"):
        pytest.fail("scimcore._native is not built", pytrace=False)
    pytest.skip("scimcore._native is not built here", allow_module_level=True)

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")

# above the size from which a scan runs on several threads (32,768 resources)
USERS = 40_000
FILTER = 'title eq "t3"'


def _page(directory: Directory) -> tuple[int, list[str]]:
    page = directory.search(filter=FILTER, sort_by="userName", count=5)
    return page.total_results, [r["id"] for r in page.resources]


def test_a_forked_child_scans_on_its_own_threads():
    lines = b"\n".join(b'{"id":"u%05d","userName":"user%05d","title":"t%d"}' % (i, i, i % 7) for i in range(USERS))
    directory = Directory(backend="native", threads=2, max_results=None)
    directory.load_ndjson(lines, complete_meta=False)
    expected = _page(directory)  # the parent's scan threads are running now
    assert expected[0] == len([i for i in range(USERS) if i % 7 == 3])
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through its exit status
        status = 1
        try:
            status = 0 if _page(directory) == expected else 3
        finally:
            os._exit(status)
    deadline = time.monotonic() + 30
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(child, 9)
            os.waitpid(child, 0)
            pytest.fail("the forked child's search did not finish in 30 s (it waited on the parent's threads)")
        time.sleep(0.02)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child exit status {status}"
