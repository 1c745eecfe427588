"""Settings read from the environment: defaults and refusals, each read by a fresh process (the
tests' own settings are loaded once and must not be reloaded under them)."""

from tests.subprocess_django import run_python

PRINT = "import config.settings as s; print(s.DIGEST_CLAUDE_CLASSIFY)"


def test_claude_deciding_every_paper_is_the_default_with_a_key(tmp_path):
    assert run_python(PRINT, tmp_path, env={"DIGEST_CLAUDE_CLASSIFY": ""}).stdout.strip() == "all"
    unsure = run_python(PRINT, tmp_path, env={"DIGEST_CLAUDE_CLASSIFY": " Unsure "})
    assert unsure.stdout.strip() == "unsure"
    refused = run_python(PRINT, tmp_path, env={"DIGEST_CLAUDE_CLASSIFY": "some"}, check=False)
    assert refused.returncode == 1
    assert "DIGEST_CLAUDE_CLASSIFY must be 'all' or 'unsure'." in refused.stderr
