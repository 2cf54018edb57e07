import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def isolated_home(tmp_path, monkeypatch):
    """Data, environments and results of the test in its own folders, and no progress bars."""
    monkeypatch.setenv("HP_BOOK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HP_BOOK_BUILD", str(tmp_path / "build"))
    monkeypatch.delenv("HP_BOOK_PROGRESS", raising=False)


@pytest.fixture(scope="session")
def smoke_site(tmp_path_factory):
    """The whole book built at the smoke profile into a temporary build folder: every chapter executed,
    three languages rendered. Shared by the tests that look at the site."""
    build_dir = tmp_path_factory.mktemp("build")
    env = {**os.environ, "HP_BOOK_BUILD": str(build_dir)}
    result = subprocess.run([sys.executable, "-m", "hp_lib", "build", "--profile", "smoke"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, f"smoke build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return build_dir
