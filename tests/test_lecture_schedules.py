"""Learning rates in practice (lecture-f8, f9, notes-x2): the verdicts on constructed cases."""

import pandas as pd

from hp_lib import claims
from hp_lib.claims import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED


def _cartoon(**changes):
    rows = {"very high": dict(early=5.0, final=9.0, last_quarter_fall=0.0, diverged=1),
            "high": dict(early=0.8, final=0.6, last_quarter_fall=0.01, diverged=0),
            "low": dict(early=2.2, final=1.5, last_quarter_fall=0.2, diverged=0),
            "good": dict(early=1.0, final=0.3, last_quarter_fall=0.05, diverged=0)}
    for key, value in changes.items():
        run, column = key.split("__")
        rows[run.replace("_", " ")][column] = value
    return pd.DataFrame.from_dict(rows, orient="index")


def test_four_learning_rates_verdict():
    assert claims.four_learning_rates("c", _cartoon()).status == REPRODUCED
    assert claims.four_learning_rates("c", _cartoon(low__last_quarter_fall=0.0)).status == INCONCLUSIVE
    assert claims.four_learning_rates("c", _cartoon(high__final=0.2)).status == NOT_REPRODUCED  # good not lowest


def test_loss_drops_at_decay_verdict():
    drops = pd.DataFrame({"milestone": [800, 1200], "before": [0.5, 0.3], "after": [0.3, 0.25]})
    assert claims.loss_drops_at_decay("c", drops).status == REPRODUCED
    assert claims.loss_drops_at_decay("c", drops.assign(after=[0.3, 0.299])).status == NOT_REPRODUCED
