"""The layers contract (pyproject.toml, [tool.importlinter]) holds for the tree, and it is a real
check: the same contract over a copy of the layout in which a lower layer imports a higher one
is broken."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import REPO

LINT_IMPORTS = [str(Path(sys.executable).parent / "lint-imports")]  # the venv's console script


def _lint(cwd, config) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    command = [*LINT_IMPORTS, "--config", str(config), "--no-cache"]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_tree_keeps_every_contract():
    result = _lint(REPO, REPO / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_lower_layer_importing_a_higher_one_breaks_the_contract(tmp_path):
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    linter = project["tool"]["importlinter"]
    named = {*linter["root_packages"]}
    for contract in linter["contracts"]:
        named |= {*contract.get("source_modules", ())}  # the tests' sub-packages
    for module in named:
        package = tmp_path.joinpath(*module.split("."))
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text("")
    (tmp_path / "papers" / "admin.py").write_text("from digest import tasks\n")
    (tmp_path / "digest" / "tasks.py").write_text("import papers\n")
    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text())

    result = _lint(tmp_path, tmp_path / "pyproject.toml")

    assert result.returncode == 1
    assert "BROKEN" in result.stdout
    assert "papers.admin -> digest.tasks" in result.stdout
