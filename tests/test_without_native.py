"""The package imports and works without its compiled module (the pure-Python fallback), and
``SCIMCORE_BACKEND=python`` forces the fallback even when the module is built."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, sys
    if sys.argv[1] == "blocked":
        sys.modules["scimcore._native"] = None      # any import of it now raises ImportError
    import scimcore
    from scimcore.directory import Directory

    from scimcore.demo import generate_users
    users = generate_users(50)
    ast = scimcore.parse_filter('emails[type eq "work" and value ew "@example.com"] and active eq true')
    pred = scimcore.compile_filter(ast)
    directory = Directory("User")
    directory.load(users, complete_meta=False)
    page = directory.search(filter=str(ast), sort_by="userName", count=5)
    patched = scimcore.apply_patch(users[0], [{"op": "replace", "path": "active", "value": False}])
    try:
        scimcore.parse_filter("a eq")
    except scimcore.InvalidFilter as error:
        code = error.code
    print(json.dumps({
        "backend": scimcore.BACKEND,
        "directory_backend": directory.backend,
        "native_loaded": "scimcore._native" in sys.modules and sys.modules["scimcore._native"] is not None,
        "matches": len(pred.filter(users)),
        "page_total": page.total_results,
        "page_ids": [r["id"] for r in page.resources],
        "patched_active": patched["active"],
        "error_code": code,
        "canonical": str(ast),
    }))
    """
)


def _run(mode: str, **env) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_everything_works_without_the_native_module():
    out = _run("blocked")
    assert out["backend"] == "python"
    assert out["directory_backend"] == "python"
    assert out["native_loaded"] is False
    assert out["matches"] == out["page_total"] > 0
    assert len(out["page_ids"]) == 5
    assert out["patched_active"] is False
    assert out["error_code"] == "expected_value"


def test_environment_variable_forces_the_fallback_with_identical_answers():
    forced = _run("normal", SCIMCORE_BACKEND="python")
    assert forced["backend"] == "python" and forced["directory_backend"] == "python"
    default = _run("normal", SCIMCORE_BACKEND="")
    if os.environ.get("CI"):
        assert default["backend"] == "native" and default["directory_backend"] == "native"
    for key in ("matches", "page_total", "page_ids", "patched_active", "error_code", "canonical"):
        assert forced[key] == default[key], key
