"""Settings read from the environment: defaults and refusals."""

import importlib

import pytest


def test_claude_deciding_every_paper_is_the_default_with_a_key(monkeypatch):
    import config.settings

    monkeypatch.delenv("DIGEST_CLAUDE_CLASSIFY", raising=False)
    assert importlib.reload(config.settings).DIGEST_CLAUDE_CLASSIFY == "all"
    monkeypatch.setenv("DIGEST_CLAUDE_CLASSIFY", "unsure")
    assert importlib.reload(config.settings).DIGEST_CLAUDE_CLASSIFY == "unsure"
    monkeypatch.setenv("DIGEST_CLAUDE_CLASSIFY", "some")
    with pytest.raises(Exception, match="must be 'all' or 'unsure'"):
        importlib.reload(config.settings)
    monkeypatch.delenv("DIGEST_CLAUDE_CLASSIFY")
    importlib.reload(config.settings)
