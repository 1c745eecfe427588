"""Run a Python script in a fresh process with its own Django settings: the SQLite demo's
database under tmp_path, or settings read from an environment the test process must not see.

The tests' own process is configured once, for PostgreSQL; what a fresh clone's `make demo`
does on SQLite, or what settings.py makes of an environment, can only be seen from outside it.
"""

import os
import subprocess
import sys

from tests.conftest import REPO


def run_python(script: str, tmp_path, *, env: dict | None = None, timeout: int = 300, check=True):
    """`python -c script` in the repository with DEBUG on, an SQLite database and media under
    tmp_path, no shared cache, and `env` on top. With `check`, a failure shows its stderr."""
    environ = os.environ | {
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    environ.pop("CACHE_URL", None)
    environ |= env or {}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result
