"""Killing a chapter in the middle (Ctrl-C, or SIGKILL) loses nothing: no partial or corrupt cache entry is
left, and the same command then completes, re-using every run that had finished."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hp_lib import cache

pytestmark = pytest.mark.slow

CHAPTER = "notebooks/smith_momentum.md"  # 40 runs at smoke, about 25 s


def start(root, tmp_path):
    env = {**os.environ, "HP_BOOK_BUILD": str(tmp_path / "build"), "HP_BOOK_PROGRESS": str(tmp_path / "progress.jsonl")}
    # a session of its own: the signal reaches the build, its kernel and the kernel's workers, as from a terminal;
    # and Ctrl-C's default action, as a shell gives it, whatever this test process inherited or was given
    return subprocess.Popen([sys.executable, "-m", "hp_lib", "run", CHAPTER, "--profile", "smoke"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def processes_of(tmp_path) -> set[int]:
    """The processes working for the run: the command, its kernel, the kernel's workers (by their environment)."""
    mine = set()
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if str(tmp_path).encode() in environ.read_bytes():
                mine.add(int(environ.parent.name))
        except OSError:
            pass  # ended meanwhile
    return mine


def entries(cache_dir):
    return sorted(p for p in cache_dir.glob("*/*") if not p.name.startswith("."))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_killed_chapter_leaves_whole_entries_and_resumes_from_them(root, tmp_path, sig):
    cache_dir = tmp_path / "build" / "cache"
    proc = start(root, tmp_path)
    deadline = time.monotonic() + 300
    while len(entries(cache_dir)) < 4:  # some runs finished, most still to come
        assert proc.poll() is None, f"the chapter ended before it could be interrupted:\n{proc.stderr.read()}"
        assert time.monotonic() < deadline, "no run finished in time"
        time.sleep(0.2)
    assert len(processes_of(tmp_path)) >= 3  # the command, its kernel and its workers
    os.killpg(proc.pid, sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0, f"the chapter was not stopped:\n{stderr[-3000:]}"
    if sig == signal.SIGINT:
        assert "interrupted" in stderr.strip().splitlines()[-1]
    deadline = time.monotonic() + 30
    while processes_of(tmp_path):  # nothing keeps training: the kernel and its workers end with the command
        assert time.monotonic() < deadline, f"left running: {processes_of(tmp_path)}"
        time.sleep(0.5)

    finished = entries(cache_dir)
    assert finished
    for entry in finished:  # every entry is whole and readable
        history = cache.load(entry.name, root=cache_dir)
        assert history is not None and len(history) > 0, entry
        assert json.loads((entry / "meta.json").read_text())["key"] == entry.name

    (tmp_path / "progress.jsonl").write_text("")
    proc = start(root, tmp_path)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    reports = [json.loads(line) for line in (tmp_path / "progress.jsonl").read_text().splitlines()]
    assert sum(r.get("cached", False) for r in reports) >= len(finished)
    assert set(finished) <= set(entries(cache_dir))
    assert not list(cache_dir.glob("*/.*")), "a killed write's temporary folder was left behind"
