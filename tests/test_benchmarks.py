"""Every benchmark script runs and ends with its JSON line (tiny sizes: the figures themselves are measured
by running the scripts as the README says, never asserted here)."""

import json
import subprocess
import sys

import pytest

from hp_lib import paths

CASES = {
    "train_loop": (["--steps", "5"], {"ratio_vs_dataloader"}),
    "sweep": (["--steps", "5"], {"ratio_vs_naive", "grids"}),
    "lr_finder": (["--num-iter", "30", "--model", "three_layer", "--rounds", "2"],
                  {"ratio_vs_torch_lr_finder", "suggested_lr"}),
    "layout": (["--steps", "5", "--models", "mlp"], {"models", "faster"}),
    "book": (["--skip-book", "--steps", "3", "--members", "2"], {"peak_gflops", "models"}),
    "full_estimate": ([], {"runs", "pflop", "hours"}),
    "imagenet_loader": (["--images", "16", "--batch", "8", "--workers", "1", "--rounds", "1"], {"images", "workers"}),
    "stacked": (["--models", "mlp", "--members", "2", "--steps", "3", "--rounds", "1"], {"models"}),
    "gpu_step": (["--device", "cpu", "--batch", "2", "--models", "resnet56", "--members", "1", "2", "--compile", "eager",
                  "--steps", "1", "--warmup", "0"], {"device", "cases"}),
}


@pytest.mark.parametrize("script", CASES)
def test_a_benchmark_prints_its_result_as_a_final_json_line(script, tmp_path):
    args, keys = CASES[script]
    done = subprocess.run([sys.executable, f"{script}.py", *args], cwd=paths.project_root() / "benchmarks",
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["bench"] == script and keys <= result.keys()


def test_interleaved_sides_take_turns_and_a_ratio_is_the_median_of_the_rounds(monkeypatch):
    monkeypatch.syspath_prepend(str(paths.project_root() / "benchmarks"))
    from interleave import interleaved

    calls, seconds = [], iter([2.0, 1.0, 8.0, 2.0, 3.0, 1.0])  # round 2 ran while the machine was busy

    def side(name):
        return lambda: calls.append(name) or next(seconds)

    timed = interleaved({"a": side("a"), "b": side("b")}, rounds=3)
    assert calls == ["a", "b"] * 3
    assert timed["b"] == {"seconds": 1.0, "speedup": 3.0} and timed["a"]["speedup"] == 1.0
