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
    "lr_finder": (["--num-iter", "30", "--model", "three_layer"], {"ratio_vs_torch_lr_finder", "suggested_lr"}),
    "layout": (["--steps", "5", "--models", "mlp"], {"models", "faster"}),
    "book": (["--skip-book", "--steps", "3"], {"peak_gflops", "models"}),
    "full_estimate": ([], {"runs", "pflop", "hours"}),
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
