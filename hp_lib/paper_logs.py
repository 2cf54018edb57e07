"""The author's published Caffe training logs, as tidy tables.

Leslie Smith published the raw Caffe logs behind the report in two GitHub repositories:

* ``lnsmith54/super-convergence``: the runs of Smith & Topin's super-convergence paper (ResNet-56 on
  Cifar-10, 8 GPUs), files ``Results/<run>`` without extension. The report re-uses them in Fig. 5.
* ``lnsmith54/hyperParam1``: the runs of the report itself, files ``Cifar/results/<net>_<job>_<n>`` and
  ``Imagenet/results/<run>_<n>``. The author's modified Caffe logs the momentum next to the learning rate.

Each file is the text Caffe writes to stderr through glog, one line per event, for instance::

    I0314 23:57:54.275948 33055 solver.cpp:330] Iteration 6800, Testing net (#0)
    I0314 23:57:57.735554 33055 solver.cpp:397]     Test net output #0: accuracy = 0.875313
    I0314 23:57:57.735599 33055 solver.cpp:397]     Test net output #1: loss = 0.424452 (* 1 = 0.424452 loss)
    I0314 23:57:57.880677 33055 solver.cpp:218] Iteration 6800 (5.85 iter/s, 34.18s/200 iters), loss = 0.0952
    I0314 23:57:57.880753 33055 sgd_solver.cpp:212] Iteration 6800, lr = 0.241019, momentum = 0.95, weight decay = 0.0001

``parse_caffe_log`` turns such a text into one row per iteration; ``load`` fetches a log named in
``LOGS`` from the author's repository once, keeps it under ``$HP_BOOK_HOME/data/paper_logs`` and parses
it. The book overlays these curves on its own runs: they are the paper's measurements, not ours.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from hp_lib.paths import data_dir

SUPER_CONVERGENCE = "lnsmith54/super-convergence"
HYPER_PARAM = "lnsmith54/hyperParam1"

# HEAD is the repository's default branch, whatever its name.
BRANCH = "HEAD"
RAW_URL = "https://raw.githubusercontent.com/{repo}/{branch}/{path}"
TIMEOUT_SECONDS = 60

# Short name -> (repository, path inside it), for the logs the book overlays on its figures.
LOGS: dict[str, tuple[str, str]] = {
    # Fig. 5a: ResNet-56 on Cifar-10, CLR 0.1-3 with stepsize 5k (10k iterations) vs LR 0.35 with steps.
    "clr3SS5kFig1a": (SUPER_CONVERGENCE, "Results/clr3SS5kFig1a"),
    "lr35Fig1a": (SUPER_CONVERGENCE, "Results/lr35Fig1a"),
    # Fig. 5b: the same CLR run with weight decay 1e-3, 1e-5 and 1e-6 (1e-4 is clr3SS5kFig1a).
    "clr3SS5kWD-3Fig11": (SUPER_CONVERGENCE, "Results/clr3SS5kWD-3Fig11"),
    "clr3SS5kWD-5Fig11": (SUPER_CONVERGENCE, "Results/clr3SS5kWD-5Fig11"),
    "clr3SS5kWD-6Fig11": (SUPER_CONVERGENCE, "Results/clr3SS5kWD-6Fig11"),
    # Fig. 6a: ResNet-56, total batch size 512, 1cycle 0.08-0.8, momentum 0.95.
    "resnet56_tbs512": (HYPER_PARAM, "Cifar/results/gResnet56_ResTBS512LR.0800.8M.95WD1e-4Epoch95BS128b_1"),
    # Table 2 and Fig. 13: wide resnet-32 with 1cycle; DenseNet-40 with 1cycle and with its original schedule.
    "wrn32_1cycle": (HYPER_PARAM, "Cifar/results/wide32cifar_Wide1CycLR.1001CM0.95.85WD1e-4Epoch50BS128a_1"),
    "densenet40_1cycle": (HYPER_PARAM, "Cifar/results/genDensenet40_Den1CycLR.1004M0.9WD1e-6Epoch50BS128c_1"),
    "densenet40_baseline": (HYPER_PARAM,
                            "Cifar/results/genDensenet40_DenOrigLR0.10.1M0.9WD1e-4Epoch400BS128c_1"),
    # Fig. 15: ResNet-56 on Cifar-100 with 1cycle.
    "resnet56_c100_1cycle": (HYPER_PARAM,
                             "Cifar/results/c100Resnet56_C100Res1CycLR.1001.2CM0.95.85WD1e-4Epoch145BS256g_1"),
    # Fig. 3b and 16: ImageNet, ResNet-50 and Inception-ResNet-v2, the standard schedule vs 1cycle.
    "resnet50_baseline": (HYPER_PARAM, "Imagenet/results/resnetM9LR1WD1e-4BS32_145Epochs_1"),
    "resnet50_1cycle_wd3e-6": (HYPER_PARAM, "Imagenet/results/resnetCM9585CLR.051WD3e-6BS32_20Epochs_1"),
    "resnet50_1cycle_wd1e-6": (HYPER_PARAM, "Imagenet/results/resnetCM9585CLR.051WD1e-6BS32_20Epochs_1"),
    "inception_resnet_baseline_1": (HYPER_PARAM, "Imagenet/results/inception-resnetM9LR.1WD1e-4BS28_145Epochs_1"),
    "inception_resnet_baseline_2": (HYPER_PARAM, "Imagenet/results/inception-resnetM9LR.1WD1e-4BS28_145Epochs_2"),
    "inception_resnet_1cycle_wd3e-6_1": (HYPER_PARAM,
                                         "Imagenet/results/inception-resnetCM9585CLR.051WD3e-6BS28_20Epochs_1"),
    "inception_resnet_1cycle_wd3e-6_2": (HYPER_PARAM,
                                         "Imagenet/results/inception-resnetCM9585CLR.051WD3e-6BS28_20Epochs_2"),
    "inception_resnet_1cycle_wd1e-6_1": (HYPER_PARAM,
                                         "Imagenet/results/inception-resnetCM9585CLR.051WD1e-6BS28_20Epochs_1"),
    "inception_resnet_1cycle_wd1e-6_2": (HYPER_PARAM,
                                         "Imagenet/results/inception-resnetCM9585CLR.051WD1e-6BS28_20Epochs_2"),
}

# A glog line: severity, MMDD, time, thread id, source file:line, then the message.
_GLOG = re.compile(r"[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})\s+\d+\s+\S+:\d+\]\s?(.*)")
_NUMBER = r"([-+]?(?:nan|inf|\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?))"
_TEST_START = re.compile(r"\s*Iteration (\d+), Testing net \(#(\d+)\)")
_TEST_OUTPUT = re.compile(r"\s*Test net output #\d+: (\S+) = " + _NUMBER, re.IGNORECASE)
# "Iteration 200 (5.8 iter/s, 34.2s/200 iters), loss = 1.2" in recent Caffe, "Iteration 200, loss = 1.2" before.
_TRAIN_LOSS = re.compile(r"\s*Iteration (\d+)(?: \([^)]*\))?, loss = " + _NUMBER, re.IGNORECASE)
_LEARNING_RATE = re.compile(r"\s*Iteration (\d+), lr = " + _NUMBER + r"(?:, momentum = " + _NUMBER + r")?",
                            re.IGNORECASE)

_COLUMNS = ["iteration", "lr", "momentum", "train_loss", "test_loss", "test_acc"]


def _test_column(output_name: str) -> str | None:
    """Which column a test output feeds, from its blob name (``accuracy``, ``accuracy_top5``, ``loss``...)."""
    name = output_name.lower()
    if re.search(r"top[-_]?5", name):
        return "test_acc_top5"
    if "acc" in name or re.search(r"top[-_]?1", name):
        return "test_acc"
    if "loss" in name:
        return "test_loss"
    return None


def parse_caffe_log(text: str) -> pd.DataFrame:
    """One row per iteration that has any value, sorted by iteration.

    Columns: ``iteration, lr, momentum, train_loss, test_loss, test_acc``, then ``test_acc_top5`` when the
    log has a top-5 accuracy, then ``seconds``; NaN where the log has no value.

    * ``train_loss`` is the loss Caffe prints on its ``Iteration N ..., loss =`` line (averaged over the
      solver's ``average_loss`` iterations), not the per-output ``Train net output`` lines.
    * Test values come from test net #0 only; within one test phase the first output of each kind counts.
    * ``seconds`` is the wall-clock time when the row's last value was logged, counted from the first
      timestamp in the text. It includes the test phases and, in a resumed run, the time lost in between.
    * Lines that are not glog lines are ignored, and so is a last line without its newline, which a log
      cut off while being written leaves incomplete.
    * When an iteration appears twice (a run resumed from a snapshot repeats the iterations after it),
      the later value wins: the resumed run is the one that went on.
    """
    # glog omits the year. A year without 29 February is right for a run across the end of February,
    # unless the log shows that day.
    leap = re.search(r"^[IWEF]0229 ", text, re.MULTILINE) is not None
    year, year_length = (2000, timedelta(days=366)) if leap else (2001, timedelta(days=365))

    table: dict[int, dict[str, float]] = {}
    start: datetime | None = None
    previous: datetime | None = None
    wrapped = timedelta(0)
    test_iteration: int | None = None
    test_seen: set[str] = set()

    def put(iteration: int, column: str, value: str, seconds: float) -> None:
        row = table.setdefault(iteration, {})
        row[column] = float(value)
        row["seconds"] = seconds

    for line in text.split("\n")[:-1]:
        match = _GLOG.match(line.rstrip("\r"))
        if match is None:
            continue
        month, day, hour, minute, second, micro = (int(g) for g in match.groups()[:6])
        try:
            stamp = datetime(year, month, day, hour, minute, second, micro) + wrapped
        except ValueError:  # an impossible date: a damaged line
            continue
        if previous is not None and stamp < previous - timedelta(days=180):
            wrapped += year_length  # from December to January
            stamp += year_length
        previous = stamp
        if start is None:
            start = stamp
        seconds = (stamp - start).total_seconds()
        message = match.group(7)

        if found := _TEST_START.match(message):
            test_iteration = int(found[1]) if found[2] == "0" else None
            test_seen = set()
        elif found := _TEST_OUTPUT.match(message):
            column = _test_column(found[1])
            if test_iteration is not None and column is not None and column not in test_seen:
                test_seen.add(column)
                put(test_iteration, column, found[2], seconds)
        elif found := _TRAIN_LOSS.match(message):
            put(int(found[1]), "train_loss", found[2], seconds)
        elif found := _LEARNING_RATE.match(message):
            put(int(found[1]), "lr", found[2], seconds)
            if found[3] is not None:
                put(int(found[1]), "momentum", found[3], seconds)

    has_top5 = any("test_acc_top5" in row for row in table.values())
    columns = _COLUMNS + (["test_acc_top5"] if has_top5 else []) + ["seconds"]
    records = [{"iteration": iteration, **row} for iteration, row in sorted(table.items())]
    frame = pd.DataFrame(records, columns=columns)
    return frame.astype({"iteration": "int64", **{c: "float64" for c in columns[1:]}})


def source_url(name: str) -> str:
    """Where the log ``name`` is published."""
    repo, path = _source(name)
    return RAW_URL.format(repo=repo, branch=BRANCH, path=path)


def load(name: str, cache_dir: Path | None = None, url: str | None = None) -> pd.DataFrame:
    """The parsed log ``name`` (a key of ``LOGS``), downloaded into ``cache_dir`` the first time.

    ``cache_dir`` defaults to ``$HP_BOOK_HOME/data/paper_logs``; ``url`` replaces the published address.
    """
    _source(name)
    folder = Path(cache_dir) if cache_dir is not None else data_dir() / "paper_logs"
    path = folder / f"{name}.log"
    if not path.exists():
        _download(name, url or source_url(name), path)
    return parse_caffe_log(path.read_text(encoding="utf-8", errors="replace"))


def _source(name: str) -> tuple[str, str]:
    if name not in LOGS:
        raise ValueError(f"unknown paper log {name!r}; valid names: {', '.join(sorted(LOGS))}")
    return LOGS[name]


def _download(name: str, url: str, path: Path) -> None:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            data = response.read()
    except (urllib.error.URLError, OSError) as error:
        # An HTTPError's text carries the status code; a URLError's reason says why the connection failed.
        reason = error if isinstance(error, urllib.error.HTTPError) else getattr(error, "reason", error)
        raise RuntimeError(f"cannot download the author's log {name!r} from {url}: {reason}; "
                           f"put the file at {path} to use it offline") from error
    # Write beside the target, then rename: a reader never sees half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
