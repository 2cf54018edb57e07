"""A content-addressed store of run results.

The key of a result is the SHA-256 of everything that could change it: the run's config, the data's
fingerprint, the source of the modules that compute runs (``RUN_MODULES``) and the torch version. An entry is
a folder ``<key>/`` holding ``history.csv`` and ``meta.json`` (plain text), and the run's snapshots as
``snapshot-<step>.pt`` (tensors only, read back with ``torch.load(..., weights_only=True)``: nothing is
unpickled). It is written in a temporary folder and renamed into place, so an interrupted run leaves no partial
entry and a reader never sees one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import pandas as pd
import torch

from . import paths


# The modules whose code decides what a run computes. Figures, claims and the build can change without
# invalidating a single run; a change here (or to any module they start to use) must be listed. The data
# enter every key through their fingerprint (a hash of the arrays), so data.py need not be listed: a change
# there matters exactly when it changes the arrays. ImageNet, streamed from files, is fingerprinted by its
# files and by the source of imagenet.py, its preprocessing: a change there re-runs the ImageNet runs only.
RUN_MODULES = ("cache.py", "models.py", "optim.py", "regularize.py", "results.py", "schedules.py", "sequence_models.py",
               "stacked.py", "train.py")


@lru_cache(maxsize=1)
def source_hash() -> str:
    """SHA-256 over the source of ``RUN_MODULES``: changing how runs are computed invalidates their results."""
    h = hashlib.sha256()
    for name in RUN_MODULES:
        h.update(name.encode())
        h.update((Path(__file__).parent / name).read_bytes())
    return h.hexdigest()


def key(config: dict, data_fingerprint: str) -> str:
    payload = {"config": config, "data": data_fingerprint, "hp_lib": source_hash(), "torch": torch.__version__}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _entry(k: str, root: Path | None) -> Path:
    return (root or paths.cache_dir()) / k[:2] / k


def load(k: str, root: Path | None = None) -> pd.DataFrame | None:
    """The cached History under key ``k`` (with its ``attrs``), or ``None``."""
    entry = _entry(k, root)
    if not (entry / "meta.json").exists():
        return None
    meta = json.loads((entry / "meta.json").read_text())
    history = pd.read_csv(entry / "history.csv")
    history.attrs.update(meta["attrs"])
    return history


def load_snapshot(k: str, step: int, root: Path | None = None) -> dict:
    """The training state that run ``k`` saved after ``step`` updates."""
    path = _entry(k, root) / f"snapshot-{step}.pt"
    if not path.exists():
        raise FileNotFoundError(f"run {k[:12]} has no snapshot at step {step} ({path})")
    return torch.load(path, weights_only=True)


def save(k: str, history: pd.DataFrame, config: dict, snapshots: dict | None = None, root: Path | None = None) -> Path:
    """Store ``history`` (and ``snapshots``: step -> state) under key ``k`` atomically; an existing entry is
    kept as it is."""
    entry = _entry(k, root)
    if entry.exists():
        return entry
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{k[:12]}.{os.getpid()}.", dir=entry.parent))
    try:
        history.to_csv(tmp / "history.csv", index=False)
        for step, state in (snapshots or {}).items():
            torch.save(state, tmp / f"snapshot-{step}.pt")
        meta = {"key": k, "config": config, "attrs": history.attrs, "torch": torch.__version__}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, default=str))
        os.rename(tmp, entry)  # atomic: the entry appears complete or not at all
    except OSError:
        if not entry.exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return entry


def remove_abandoned(root: Path | None = None) -> int:
    """Delete the temporary folders of writes whose process is gone (killed in the middle of ``save``);
    return how many. Readers never look at them; this only frees the space."""
    removed = 0
    for tmp in (root or paths.cache_dir()).glob("*/.*"):
        parts = tmp.name.split(".")
        if len(parts) >= 3 and parts[2].isdigit() and not _alive(int(parts[2])):
            shutil.rmtree(tmp, ignore_errors=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
