"""Bad input gets one line that names what was wrong and what is allowed, and changes nothing.

The library cases fail while the config is made, before data are read or anything is trained or cached;
the command-line cases fail before a kernel starts (except an unknown dataset or model, which the
chapter's own code reports from the cell that uses it), and leave the build folder as it was.
"""

import math
import os
import subprocess
import sys

import pytest

from hp_lib import data, paths, sweep, train

pytestmark = pytest.mark.usefixtures("isolated_home")


def config(**changes) -> train.RunConfig:
    settings = dict(dataset="digits", model="mlp", n_train=200, n_val=100, n_test=100, steps=20,
                    batch_size=32, eval_every=10, lr=0.05)
    return train.RunConfig(**{**settings, **changes})


# (what is changed, words the message must contain: the bad value and what is allowed)
LIBRARY_CASES = {
    "unknown dataset": ({"dataset": "tiny_imagenet"}, ["'tiny_imagenet'", "mnist1d", "fashion_mnist", "imagenet"]),
    "ImageNet with a test split": ({"dataset": "imagenet", "n_test": 100}, ["n_test=100", "no test split"]),
    "ImageNet with noisy labels": ({"dataset": "imagenet", "n_test": 0, "label_noise": 0.1},
                                   ["label_noise=0.1", "exact labels"]),
    "unknown model": ({"model": "transformer"}, ["'transformer'", "three_layer", "resnet20"]),
    "unknown optimizer": ({"optimizer": "lion"}, ["'lion'", "sgd", "adam"]),
    "unknown LR schedule": ({"lr": {"name": "sawtooth"}}, ["'sawtooth'", "triangular", "one_cycle"]),
    "unknown momentum schedule": ({"momentum": {"name": "sawtooth"}}, ["'sawtooth'", "cosine"]),
    "negative LR": ({"lr": -0.1}, ["-0.1", "> 0"]),
    "zero LR": ({"lr": 0.0}, ["0.0", "> 0"]),
    "NaN LR": ({"lr": math.nan}, ["nan", "finite"]),
    "infinite LR": ({"lr": math.inf}, ["inf", "finite"]),
    "LR schedule below 0": ({"lr": {"name": "triangular", "base_lr": -0.1, "max_lr": 0.1, "step_size_up": 5}},
                            ["-0.1", ">= 0"]),
    "momentum 1": ({"momentum": 1.0}, ["1.0", "[0, 1)"]),
    "negative momentum": ({"momentum": -0.1}, ["-0.1", "[0, 1)"]),
    "momentum schedule above 1": ({"momentum": {"name": "triangular", "base_lr": 0.9, "max_lr": 1.2,
                                                "step_size_up": 5}}, ["1.2", "[0, 1]"]),
    "negative weight decay": ({"weight_decay": -1e-4}, ["-0.0001", ">= 0"]),
    "zero steps": ({"steps": 0}, ["steps", "positive integer"]),
    "negative batch size": ({"batch_size": -1}, ["batch_size", "positive integer", "-1"]),
}


@pytest.mark.parametrize("case", LIBRARY_CASES)
def test_a_bad_config_is_refused_in_one_line(case):
    changes, words = LIBRARY_CASES[case]
    with pytest.raises(ValueError) as error:
        config(**changes)
    message = str(error.value)
    assert "\n" not in message
    for word in words:
        assert word in message, f"{case}: {word!r} not in {message!r}"
    assert not paths.cache_dir().exists()


def test_a_batch_larger_than_the_training_set_trains_and_caches_nothing():
    with pytest.raises(ValueError, match=r"batch_size 201 is larger than the training set \(200 samples\)"):
        sweep.run([config(batch_size=201)], workers=1)
    assert not paths.cache_dir().exists()


def test_a_missing_data_directory_is_named(tmp_path):
    missing = tmp_path / "no-such-folder"
    with pytest.raises(FileNotFoundError, match=f"data directory {missing} does not exist"):
        data.load("fashion_mnist", 5, 3, 2, root=missing)
    assert not missing.exists()


# --- the command line ----------------------------------------------------------------------------------

def hp_lib(*args, build_dir):
    return subprocess.run([sys.executable, "-m", "hp_lib", *args], capture_output=True, text=True,
                          env={**os.environ, "HP_BOOK_BUILD": str(build_dir)}, cwd=paths.project_root())


COMMAND_CASES = {
    "unknown profile": (["build", "--profile", "laptop"], ["'laptop'", "smoke, cpu, full"]),
    "unknown profile of one chapter": (["run", "notebooks/smith_test_loss.md", "--profile", "laptop"],
                                       ["'laptop'", "smoke, cpu, full"]),
    "missing notebook": (["run", "notebooks/no_such_chapter.md"], ["no notebook notebooks/no_such_chapter.md"]),
    "parameter the chapter does not have": (["run", "notebooks/smith_test_loss.md", "-p", "lr", "abc"],
                                            ["no parameter 'lr'", "dataset, model, seeds"]),
    "parameter of the wrong type": (["run", "notebooks/smith_test_loss.md", "-p", "seeds", "abc"],
                                    ["seeds", "Optional[list[int]]", "'abc' (str)"]),
    "list of the wrong type": (["run", "notebooks/smith_test_loss.md", "-p", "seeds", "[0, x]"],
                               ["seeds", "Optional[list[int]]", "[0, 'x'] (list)"]),
    "profile passed as a parameter": (["run", "notebooks/smith_test_loss.md", "-p", "profile", "cpu"],
                                      ["--profile"]),
    "data folder that does not exist": (["build", "--profile", "smoke", "--data-dir", "no/such/folder"],
                                        ["--data-dir no/such/folder is not a folder"]),
    # a folder without imagenet/: the full profile refuses to start rather than fail hours later
    "full profile without ImageNet": (["build", "--profile", "full", "--data-dir", "tests"],
                                      ["the full profile needs ImageNet (smith_test_loss, smith_other_architectures)",
                                       "tests/imagenet has no train or val/", "--data-dir DIR",
                                       "nothing else stands in for it"]),
    "chapter on ImageNet without it": (["run", "notebooks/smith_other_architectures.md", "--profile", "full",
                                        "--data-dir", "tests"], ["needs ImageNet (smith_other_architectures)"]),
}


@pytest.mark.parametrize("case", COMMAND_CASES)
def test_a_bad_command_fails_at_once_in_one_line(case, tmp_path):
    args, words = COMMAND_CASES[case]
    result = hp_lib(*args, build_dir=tmp_path / "build")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], f"{case}: {word!r} not in {lines[0]!r}"
    assert not (tmp_path / "build").exists()  # no kernel started, nothing written


@pytest.mark.slow
@pytest.mark.parametrize("name, value, valid", [("dataset", "nonsense", "mnist1d"), ("model", "nonsense", "resnet56")])
def test_an_unknown_dataset_or_model_names_the_valid_ones(tmp_path, name, value, valid):
    result = hp_lib("run", "notebooks/smith_test_loss.md", "--profile", "smoke", "-p", name, value,
                    build_dir=tmp_path)
    assert result.returncode != 0
    # the kernel itself may log its shutdown under load; the build's own message is one line
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("[IPKernelApp]")]
    assert len(lines) == 1, result.stderr
    assert "smith_test_loss.md" in lines[0] and "cell" in lines[0]
    assert f"unknown {name} 'nonsense'" in lines[0] and valid in lines[0]
    assert not (tmp_path / "cache").exists()
    assert not (tmp_path / "executed" / "smoke" / "smith_test_loss.ipynb").exists()
