"""The content-addressed result store."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from hp_lib import cache


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("HP_BOOK_BUILD", str(tmp_path / "build"))


def _history(scale: float = 1.0) -> pd.DataFrame:
    h = pd.DataFrame({
        "step": [-1, 0, 1, 2],
        "lr": [np.nan, 0.1, 0.1 / 3, 1e-7],
        "train_loss": [np.nan, 2.302585092994046 * scale, 1.0 / 7, np.inf],
        "val_acc": [0.11, np.nan, np.nan, 0.8765432109876543],
    })
    h.attrs.update(status="diverged", diverged_step=2, seconds=1.25, seed=3)
    return h


def _key(tag: str = "a") -> str:
    return cache.key({"tag": tag}, "f" * 64)


def test_round_trip(tmp_path):
    h, k = _history(), _key()
    entry = cache.save(k, h, {"tag": "a"}, root=tmp_path)
    assert entry == tmp_path / k[:2] / k
    assert (entry / "history.csv").is_file()
    meta = json.loads((entry / "meta.json").read_text())
    assert meta["key"] == k and meta["config"] == {"tag": "a"}

    back = cache.load(k, root=tmp_path)
    pd.testing.assert_frame_equal(back, h, check_exact=True)
    assert back.attrs == h.attrs


def test_round_trip_default_root(tmp_path):
    k = _key()
    cache.save(k, _history(), {})
    assert (tmp_path / "build" / "cache" / k[:2] / k / "meta.json").is_file()
    pd.testing.assert_frame_equal(cache.load(k), _history(), check_exact=True)


def test_unknown_key_is_none(tmp_path):
    assert cache.load(_key("never saved"), root=tmp_path) is None
    assert cache.load(_key("never saved")) is None


def test_existing_entry_not_overwritten(tmp_path):
    k = _key()
    first = _history()
    cache.save(k, first, {"n": 1}, root=tmp_path)
    other = _history(scale=2.0)
    other.attrs["status"] = "ok"
    cache.save(k, other, {"n": 2}, root=tmp_path)
    back = cache.load(k, root=tmp_path)
    pd.testing.assert_frame_equal(back, first, check_exact=True)
    assert back.attrs["status"] == "diverged"
    assert json.loads((tmp_path / k[:2] / k / "meta.json").read_text())["config"] == {"n": 1}


@pytest.mark.parametrize("error", [OSError("disk full"), RuntimeError("interrupted")])
def test_failed_write_leaves_nothing(tmp_path, monkeypatch, error):
    k = _key()
    seen_tmp = []

    def broken_to_csv(self, path, *args, **kwargs):
        seen_tmp.append(path.parent)
        assert path.parent.is_dir()  # the temporary folder exists at this point
        path.write_text("step,lr\n-1,")  # half a file
        raise error

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken_to_csv)
    with pytest.raises(type(error)):
        cache.save(k, _history(), {}, root=tmp_path)
    assert seen_tmp and not seen_tmp[0].exists(), "the temporary folder was left behind"
    assert not (tmp_path / k[:2] / k).exists()
    assert list((tmp_path / k[:2]).iterdir()) == []
    assert cache.load(k, root=tmp_path) is None


def test_key_depends_on_everything(monkeypatch):
    cfg = {"model": "mlp", "lr": 0.1, "steps": 10}
    base = cache.key(cfg, "abc")
    assert len(base) == 64 and int(base, 16) >= 0
    assert cache.key(dict(cfg), "abc") == base  # deterministic
    assert cache.key(dict(reversed(list(cfg.items()))), "abc") == base  # order of keys is irrelevant
    assert cache.key({**cfg, "lr": 0.2}, "abc") != base
    assert cache.key({**cfg, "seed": 1}, "abc") != base
    assert cache.key(cfg, "abd") != base
    monkeypatch.setattr(cache, "source_hash", lambda: "0" * 64)
    assert cache.key(cfg, "abc") != base



def test_run_modules_cover_what_train_imports():
    """Every hp_lib module the training loop imports is part of the source hash, except the data module:
    what it produces enters the key as the data's fingerprint."""
    import hp_lib.train as train_module

    imported = {m.__name__.split(".")[-1] + ".py" for m in vars(train_module).values()
                if getattr(m, "__name__", "").startswith("hp_lib.") and type(m).__name__ == "module"}
    assert imported - {"data.py"} <= set(cache.RUN_MODULES), imported - set(cache.RUN_MODULES)
    assert "data.py" in imported  # the exception above is still needed


class _Payload:
    """An object that would run code when unpickled without weights_only."""

    def __reduce__(self):
        return (print, ("unpickled",))


def test_a_snapshot_holding_code_is_refused(tmp_path):
    k = "ab" + "0" * 62
    cache.save(k, _history(), {"lr": 0.1}, root=tmp_path)
    torch.save({"model": _Payload()}, tmp_path / k[:2] / k / "snapshot-5.pt")
    with pytest.raises(pickle.UnpicklingError):
        cache.load_snapshot(k, 5, root=tmp_path)


def test_nothing_is_unpickled():
    """The library reads only JSON, CSV, NPZ without pickles, and tensors-only checkpoints."""
    for source in Path(cache.__file__).parent.rglob("*.py"):
        text = source.read_text()
        assert "import pickle" not in text and "read_pickle" not in text, source
        for call in re.findall(r"torch\.load\([^)]*\)", text):
            assert "weights_only=True" in call, f"{source.name}: {call}"
        for call in re.findall(r"np\.load\([^)]*\)", text):
            assert "allow_pickle=False" in call, f"{source.name}: {call}"
