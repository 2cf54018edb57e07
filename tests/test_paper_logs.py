"""The parser of the author's Caffe logs and their offline cache. No test touches the network."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from hp_lib import paper_logs

# The author's modified Caffe (hyperParam1): momentum on the lr line, an ImageNet net with top-1, top-5 and
# loss outputs, a second test net, a run across midnight, and a file cut off in the middle of a line.
RECENT_LOG = """\
I0314 23:58:30.000000 33055 caffe.cpp:218] Using GPUs 0, 1, 2, 3
I0314 23:58:30.500000 33055 solver.cpp:44] Initializing solver from parameters:
base_lr: 0.08
I0314 23:58:31.000000 33055 solver.cpp:218] Iteration 0 (0 iter/s, 0.5s/200 iters), loss = 6.90775
I0314 23:58:31.000100 33055 solver.cpp:237]     Train net output #0: accuracy_top1 = 0
I0314 23:58:31.000200 33055 solver.cpp:237]     Train net output #1: loss = 6.9 (* 1 = 6.9 loss)
I0314 23:58:31.000300 33055 sgd_solver.cpp:212] Iteration 0, lr = 0.08, momentum = 0.95, weight decay = 0.0001
I0314 23:58:31.000400 33068 sgd_solver.cpp:172] Gradient: L2 norm 44.516
garbage: I0314 Iteration 100, loss = 7; Test net output #0: accuracy_top1 = 0.99
I0314 23:59:00.000000 33055 solver.cpp:330] Iteration 200, Testing net (#0)
I0314 23:59:03.500000 33055 solver.cpp:397]     Test net output #0: accuracy_top1 = 0.4125
I0314 23:59:03.500100 33055 solver.cpp:397]     Test net output #1: accuracy_top5 = 0.8
I0314 23:59:03.500200 33055 solver.cpp:397]     Test net output #2: loss = 1.75 (* 1 = 1.75 loss)
I0314 23:59:03.600000 33055 solver.cpp:330] Iteration 200, Testing net (#1)
I0314 23:59:04.000000 33055 solver.cpp:397]     Test net output #0: accuracy_top1 = 0.111
I0314 23:59:04.000100 33055 solver.cpp:397]     Test net output #1: accuracy_top5 = 0.222
I0314 23:59:04.000200 33055 solver.cpp:397]     Test net output #2: loss = 9.99 (* 1 = 9.99 loss)
I0314 23:59:04.250000 33055 solver.cpp:218] Iteration 200 (6.9 iter/s, 29s/200 iters), loss = 1.5
I0314 23:59:04.250100 33055 solver.cpp:237]     Train net output #0: accuracy_top1 = 0.5
I0314 23:59:04.500000 33055 sgd_solver.cpp:212] Iteration 200, lr = 0.2, momentum = 0.925, weight decay = 0.0001
I0315 00:00:10.000000 33055 solver.cpp:330] Iteration 400, Testing net (#0)
I0315 00:00:12.000000 33055 solver.cpp:397]     Test net output #0: accuracy_top1 = 0.625
I0315 00:00:12.000100 33055 solver.cpp:397]     Test net output #1: accuracy_top5 = 0.875
I0315 00:00:12.000200 33055 solver.cpp:397]     Test net output #2: loss = 1.125 (* 1 = 1.125 loss)
I0315 00:00:12.250000 33055 solver.cpp:218] Iteration 400 (6.1 iter/s, 33s/200 iters), loss = 0.875
I0315 00:00:12.500000 33055 sgd_solver.cpp:212] Iteration 400, lr = 8e-05, momentum = 0.9, weight decay = 0.0001
I0315 00:00:42.000000 33055 solver.cpp:218] Iteration 600 (6.6 iter/s, 30s/200 iters), loss = 0.75
I0315 00:00:42.250000 33055 sgd_solver.cpp:212] Iteration 600, lr = 0.4"""  # cut in the middle of "0.45"

# The stock Caffe of the super-convergence runs: no momentum, no top-5, the test phase at iteration 0 and
# after the last snapshot, a run across New Year, a diverged loss.
OLD_LOG = """\
I1231 23:59:50.000000 17550 solver.cpp:337] Iteration 0, Testing net (#0)
I1231 23:59:55.000000 17550 solver.cpp:404]     Test net output #0: accuracy = 0.10052
I1231 23:59:55.000100 17550 solver.cpp:404]     Test net output #1: loss = 87.3366 (* 1 = 87.3366 loss)
I1231 23:59:56.000000 17550 solver.cpp:228] Iteration 0, loss = 4.328
I1231 23:59:56.000100 17550 solver.cpp:244]     Train net output #0: accuracy = 0.104
I1231 23:59:56.500000 17550 sgd_solver.cpp:166] Iteration 0, lr = 0.1
I0101 00:00:20.000000 17550 solver.cpp:228] Iteration 100, loss = -nan
I0101 00:00:20.500000 17550 sgd_solver.cpp:166] Iteration 100, lr = 0.158
I0101 00:00:30.000000 17550 solver.cpp:454] Snapshotting to binary proto file snapshots/run_iter_200.caffemodel
I0101 00:00:31.000000 17550 solver.cpp:317] Iteration 200, loss = 2.3046
I0101 00:00:31.000100 17550 solver.cpp:337] Iteration 200, Testing net (#0)
I0101 00:00:40.000000 17550 solver.cpp:404]     Test net output #0: accuracy = 0.09952
I0101 00:00:40.000100 17550 solver.cpp:404]     Test net output #1: loss = 2.3028 (* 1 = 2.3028 loss)
I0101 00:00:40.000200 17550 solver.cpp:322] Optimization Done.
"""


def test_parses_every_value_of_the_authors_format():
    log = paper_logs.parse_caffe_log(RECENT_LOG)
    assert list(log.columns) == ["iteration", "lr", "momentum", "train_loss", "test_loss", "test_acc",
                                 "test_acc_top5", "seconds"]
    assert log["iteration"].tolist() == [0, 200, 400, 600]
    assert log["iteration"].dtype == "int64"
    nan = math.nan
    expected = pd.DataFrame({
        "iteration": [0, 200, 400, 600],
        "lr": [0.08, 0.2, 8e-05, nan],  # the cut line at 600 is dropped, not read as 0.4
        "momentum": [0.95, 0.925, 0.9, nan],
        "train_loss": [6.90775, 1.5, 0.875, 0.75],  # the Iteration line, not "Train net output"
        "test_loss": [nan, 1.75, 1.125, nan],  # test net #1 (9.99) is ignored
        "test_acc": [nan, 0.4125, 0.625, nan],
        "test_acc_top5": [nan, 0.8, 0.875, nan],
        # From 23:58:30.000000 to each row's last line; 400 and 600 are on the next day.
        "seconds": [1.0003, 34.5, 102.5, 132.0],
    })
    pd.testing.assert_frame_equal(log, expected, check_exact=True)


def test_old_caffe_without_momentum_or_top5_across_new_year():
    log = paper_logs.parse_caffe_log(OLD_LOG)
    assert "test_acc_top5" not in log.columns
    assert log["iteration"].tolist() == [0, 100, 200]
    assert log["lr"].tolist()[:2] == [0.1, 0.158] and math.isnan(log["lr"].iloc[2])
    assert log["momentum"].isna().all()
    assert log["train_loss"].iloc[0] == 4.328 and math.isnan(log["train_loss"].iloc[1])
    assert log["train_loss"].iloc[2] == 2.3046  # the loss printed after the last snapshot
    assert log["test_acc"].iloc[[0, 2]].tolist() == [0.10052, 0.09952]
    assert log["test_loss"].iloc[[0, 2]].tolist() == [87.3366, 2.3028]
    assert log["seconds"].tolist() == [6.5, 30.5, 50.0001]


def test_a_resumed_run_replaces_the_iterations_it_repeats():
    text = """\
I0401 10:00:00.000000 1 solver.cpp:218] Iteration 500 (1 iter/s, 500s/500 iters), loss = 3
I0401 10:00:00.000000 1 sgd_solver.cpp:212] Iteration 500, lr = 0.1, momentum = 0.9, weight decay = 0.0001
I0401 10:10:00.000000 1 solver.cpp:330] Iteration 1000, Testing net (#0)
I0401 10:11:00.000000 1 solver.cpp:397]     Test net output #0: accuracy = 0.25
I0401 10:11:00.000000 1 solver.cpp:397]     Test net output #1: loss = 4 (* 1 = 4 loss)
I0401 12:00:00.000000 2 caffe.cpp:248] Resuming from snapshots/run_iter_500.solverstate
I0401 12:10:00.000000 2 solver.cpp:330] Iteration 1000, Testing net (#0)
I0401 12:11:00.000000 2 solver.cpp:397]     Test net output #0: accuracy = 0.5
I0401 12:11:00.000000 2 solver.cpp:397]     Test net output #1: loss = 2 (* 1 = 2 loss)
"""
    log = paper_logs.parse_caffe_log(text)
    assert log["iteration"].tolist() == [500, 1000]
    assert log.loc[1, ["test_acc", "test_loss", "seconds"]].tolist() == [0.5, 2.0, 7860.0]


def test_an_empty_or_foreign_text_gives_an_empty_table():
    for text in ("", "not a caffe log\nat all\n"):
        log = paper_logs.parse_caffe_log(text)
        assert log.empty
        assert list(log.columns) == ["iteration", "lr", "momentum", "train_loss", "test_loss", "test_acc",
                                     "seconds"]


def test_logs_name_files_of_the_authors_repositories():
    assert set(paper_logs.LOGS) >= {"clr3SS5kFig1a", "lr35Fig1a", "resnet56_tbs512", "resnet50_baseline"}
    for repo, path in paper_logs.LOGS.values():
        assert repo in (paper_logs.SUPER_CONVERGENCE, paper_logs.HYPER_PARAM)
        folder = "Results/" if repo == paper_logs.SUPER_CONVERGENCE else ("Cifar/results/", "Imagenet/results/")
        assert path.startswith(folder)
    assert paper_logs.source_url("lr35Fig1a") == \
        "https://raw.githubusercontent.com/lnsmith54/super-convergence/HEAD/Results/lr35Fig1a"


def test_load_reads_the_cache_without_downloading(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("load must not download a cached log")

    monkeypatch.setattr(paper_logs.urllib.request, "urlopen", no_network)
    (tmp_path / "resnet56_tbs512.log").write_text(RECENT_LOG)
    log = paper_logs.load("resnet56_tbs512", cache_dir=tmp_path)
    assert log["test_acc"].iloc[1] == 0.4125 and len(log) == 4

    # The default cache is $HP_BOOK_HOME/data/paper_logs.
    monkeypatch.setenv("HP_BOOK_HOME", str(tmp_path / "home"))
    cached = tmp_path / "home" / "data" / "paper_logs" / "lr35Fig1a.log"
    cached.parent.mkdir(parents=True)
    cached.write_text(OLD_LOG)
    assert paper_logs.load("lr35Fig1a")["test_acc"].iloc[-1] == 0.09952


def test_an_unreachable_url_raises_a_clear_error_and_leaves_no_file(tmp_path):
    url = "http://127.0.0.1:9/lnsmith54/super-convergence/HEAD/Results/clr3SS5kFig1a"  # port 9: closed
    cache = tmp_path / "cache"
    with pytest.raises(RuntimeError) as raised:
        paper_logs.load("clr3SS5kFig1a", cache_dir=cache, url=url)
    message = str(raised.value)
    assert message.startswith(f"cannot download the author's log 'clr3SS5kFig1a' from {url}: ")
    assert message.endswith(f"; put the file at {cache / 'clr3SS5kFig1a.log'} to use it offline")
    assert not cache.exists() or list(cache.iterdir()) == []
    assert list(tmp_path.rglob("*.log")) == [] and list(tmp_path.rglob("*.tmp")) == []


def test_an_unknown_name_lists_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match=re.escape("'Fig99'")) as raised:
        paper_logs.load("Fig99", cache_dir=tmp_path)
    assert "clr3SS5kFig1a" in str(raised.value) and "inception_resnet_1cycle_wd1e-6_2" in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_overlay_draws_a_cached_log_and_skips_an_unreachable_one(tmp_path, monkeypatch, capsys):
    import matplotlib.pyplot as plt

    from hp_lib import plots

    monkeypatch.setenv("HP_BOOK_HOME", str(tmp_path))
    folder = tmp_path / "data" / "paper_logs"
    folder.mkdir(parents=True)
    (folder / "clr3SS5kFig1a.log").write_text(
        "I0101 00:00:00.000000 1 solver.cpp:330] Iteration 0, Testing net (#0)\n"
        "I0101 00:00:01.000000 1 solver.cpp:397]     Test net output #0: accuracy = 0.1\n"
        "I0101 00:10:00.000000 1 solver.cpp:330] Iteration 500, Testing net (#0)\n"
        "I0101 00:10:01.000000 1 solver.cpp:397]     Test net output #0: accuracy = 0.6\n")
    monkeypatch.setattr(paper_logs, "RAW_URL", "http://127.0.0.1:9/{repo}/{branch}/{path}")
    fig, ax = plt.subplots()
    drawn = plots.overlay_paper_logs(fig, {"cycle": "clr3SS5kFig1a", "step": "lr35Fig1a"})
    assert drawn == ["cycle"]
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == [0, 500] and list(line.get_ydata()) == [0.1, 0.6]
    assert "the paper's curve 'step' is not drawn" in capsys.readouterr().out
