"""The verdict core against scipy's own tests and closed forms, and its decisions on data built to fall on
each side of a margin."""

import json
import math

import numpy as np
import pytest
from scipy import stats

from hp_lib import verdicts as V

CLAIM = V.Claim("smith-fig-5a", "a cycle beats the step schedule", "cycle − step, accuracy (points)", 1.0,
                "two binomial standard errors of 2,000 evaluation samples")


def claim(form=V.DIFFERENCE, margin=1.0):
    return V.Claim("x", "x", "x", margin, "x", form=form)


def test_the_paired_interval_is_scipys_paired_t():
    rng = np.random.default_rng(0)
    a, b = rng.normal(5, 1, 6), rng.normal(3, 1, 6)
    v = V.paired(CLAIM, a, b)
    ref = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert v.ci == pytest.approx((ref.low, ref.high))
    assert v.effect == pytest.approx(np.mean(a - b))
    assert v.n_seeds == 6 and v.effects == pytest.approx(tuple(a - b))


def test_the_bootstrap_interval_is_scipys():
    d = np.array([1.0, 2.5, 1.7, 3.1, 2.2, 0.9, 2.8, 1.5])
    lo, hi = V.interval(d, 0.95, "bootstrap")
    ref = stats.bootstrap((d,), np.mean, confidence_level=0.95, n_resamples=9_999, method="BCa",
                          random_state=0).confidence_interval
    assert (lo, hi) == pytest.approx((ref.low, ref.high))


@pytest.mark.parametrize("effects, status, reason", [
    ([3.0, 3.5, 2.8, 3.2], V.REPRODUCED, V.CLEARS),          # whole CI above +1
    ([-3.0, -3.5, -2.8, -3.2], V.NOT_REPRODUCED, V.AGAINST),  # whole CI below -1
    ([0.1, -0.2, 0.15, 0.0], V.INCONCLUSIVE, V.WITHIN),       # whole CI inside ±1
    ([2.0, -1.0, 3.0, 0.5], V.INCONCLUSIVE, V.STRADDLES),     # reaches across the margin
    ([1.2, 0.9, 1.4, 1.0], V.INCONCLUSIVE, V.STRADDLES),     # above 0 but not clear of the margin
    ([5.0], V.INCONCLUSIVE, V.ONE_SEED),
    ([2.0, 2.0, 2.0], V.INCONCLUSIVE, V.NO_SPREAD),
])
def test_difference_decisions(effects, status, reason):
    v = V.decide(claim(), effects)
    assert (v.status, v.reason) == (status, reason)


@pytest.mark.parametrize("effects, status, reason", [
    ([0.1, -0.1, 0.05, 0.0, -0.05], V.REPRODUCED, V.EQUIVALENT),
    ([3.0, 3.2, 2.9, 3.1, 3.05], V.NOT_REPRODUCED, V.DIFFERENT),
    ([0.5, 1.5, 0.9, 1.2, 0.7], V.INCONCLUSIVE, V.BAND_STRADDLES),
])
def test_equivalence_decisions(effects, status, reason):
    v = V.decide(claim(V.EQUIVALENCE), effects)
    assert (v.status, v.reason, v.confidence) == (status, reason, 0.90)


def test_equivalence_is_tost():
    """TOST's two one-sided t tests at 5 % reject non-equivalence exactly when the 90 % CI is inside the band."""
    rng = np.random.default_rng(1)
    for _ in range(50):
        d = rng.normal(rng.uniform(-1.5, 1.5), 0.5, 5)
        p_low = stats.ttest_1samp(d, -1.0, alternative="greater").pvalue
        p_high = stats.ttest_1samp(d, 1.0, alternative="less").pvalue
        equivalent = max(p_low, p_high) < 0.05
        assert (V.decide(claim(V.EQUIVALENCE), d).status == V.REPRODUCED) == equivalent


def test_the_detectable_effect_is_decided_with_the_stated_power():
    """Simulated: a true effect equal to the detectable one, at the seeds' spread, is decided in ≈ 80 % of
    draws (the t approximation to the noncentral t's power)."""
    rng = np.random.default_rng(2)
    n = 5
    d = rng.normal(0, 1, n)
    d = (d - d.mean()) / d.std(ddof=1)  # a sample whose spread is exactly 1
    target = V.detectable_effect(d, claim())
    hits = np.mean([V.decide(claim(), rng.normal(target, 1.0, n)).status == V.REPRODUCED for _ in range(4_000)])
    assert 0.74 < hits < 0.86


def test_the_band_an_equivalence_can_show_is_shown_with_the_stated_power():
    """Simulated: with a true difference of zero, an equivalence band as wide as the detectable one is shown
    in ≈ 80 % of draws."""
    rng = np.random.default_rng(3)
    n = 5
    d = rng.normal(0, 1, n)
    d = (d - d.mean()) / d.std(ddof=1)
    band = V.detectable_effect(d, claim(V.EQUIVALENCE))
    hits = np.mean([V.decide(claim(V.EQUIVALENCE, margin=band), rng.normal(0.0, 1.0, n)).status == V.REPRODUCED
                    for _ in range(4_000)])
    assert 0.74 < hits < 0.86


def test_accuracy_margin_is_two_binomial_standard_errors():
    assert V.accuracy_margin(2_000, 0.9) == pytest.approx(200 * math.sqrt(0.09 / 2_000))
    with pytest.raises(ValueError, match="n_eval"):
        V.accuracy_margin(0, 0.9)


@pytest.mark.parametrize("make, message", [
    (lambda: V.paired(CLAIM, [1, 2, 3], [1, 2]), "paired"),
    (lambda: V.decide(CLAIM, [1.0, float("nan")]), "finite"),
    (lambda: V.decide(CLAIM, []), "one effect per seed"),
    (lambda: V.Claim("x", "x", "x", -1.0, "x"), "margin"),
    (lambda: V.Claim("x", "x", "x", 1.0, "x", form="less"), "form"),
    (lambda: V.interval(np.ones(3), 0.95, "jackknife"), "method"),
])
def test_bad_input_is_refused_with_what_is_allowed(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_beats_each_is_decided_by_the_comparison_that_binds():
    c = V.BeatsEach(claim(), "mid", ("low", "high"))
    base = np.array([80.0, 81.0, 79.5, 80.5])
    clear = {"mid": base + 5, "low": base + np.array([0.1, -0.1, 0.0, 0.2]), "high": base + np.array([-0.2, 0.1, 0.0, 0.1])}
    assert c.decide(clear).status == V.REPRODUCED
    one_side = {**clear, "high": base + 4.8 + np.array([1.5, -1.0, 0.5, -0.9])}
    assert c.decide(one_side).status == V.INCONCLUSIVE
    against = {**clear, "high": base + 9 + np.array([0.3, -0.2, 0.1, -0.1])}
    v = c.decide(against)
    assert v.status == V.NOT_REPRODUCED and v.ci[1] < -1.0


def test_a_claim_of_several_tests_keeps_every_comparison_whichever_binds():
    base = np.array([80.0, 81.0, 79.5, 80.5])
    beats = V.BeatsEach(claim(), "mid", ("low", "high")).decide(
        {"mid": base + 5, "low": base + np.array([0.1, -0.1, 0.0, 0.2]), "high": base + np.array([-2.0, 1.0, 0.0, 1.0])})
    single = V.paired(claim(), base + 3, base)
    whole = V.all_of([beats, single], "x", "x")
    assert [p["effects"] for p in whole.parts] == [list(p["effects"]) for p in beats.parts] + [list(single.effects)]
    assert len(whole.parts) == 3  # mid against low, mid against high, and the single test


def test_sentences_and_record_in_both_languages():
    v = V.paired(CLAIM, [83.0, 84.1, 82.7, 83.5], [80.0, 80.2, 79.9, 80.1])
    v.paper = None
    assert v.status == V.REPRODUCED
    en, zh = V.line(v, "en"), V.line(v, "zh")
    assert en.startswith("**Verdict: reproduced.**") and "4 paired seeds" in en
    assert zh.startswith("**判定：重現**") and "信賴區間" in zh
    record = json.loads(json.dumps(v.record()))
    for key in ("id", "chapter", "claim", "kind", "form", "status", "effect", "ci", "margin", "n_seeds", "paper",
                "reason"):
        assert key in record
    table = V.table([v, V.illustration("smith-fig-2", "a schematic")], "en")
    assert "| [smith-fig-5a](#smith-fig-5a) |" in table and "| reproduced |" in table and "| illustration |" in table


def test_the_catalog_has_every_reason_in_every_language():
    cat = V.catalog()
    reasons = {V.CLEARS, V.AGAINST, V.STRADDLES, V.WITHIN, V.EQUIVALENT, V.DIFFERENT, V.BAND_STRADDLES, V.ONE_SEED,
               V.NO_SPREAD, V.SHOWN}
    for lang in ("en", "zh"):
        assert set(cat[lang]["reasons"]) == reasons
        assert set(cat[lang]["status"]) == {V.REPRODUCED, V.NOT_REPRODUCED, V.INCONCLUSIVE, V.ILLUSTRATION}


def test_the_chapter_table_gives_claim_runs_verdict_effect_and_the_papers_value(monkeypatch):
    v = V.paired(V.Claim("smith-fig-5a", "a cycle beats the step schedule", "m", 1.0, "w", paper=2.1),
                 np.array([83.0, 84, 82, 83.5]), np.array([80.0, 80.5, 80, 81]))
    v.ran = {"en": "ResNet-20 on MNIST-1D (hard)", "zh": "ResNet-20，於 MNIST-1D（困難版）"}
    monkeypatch.setattr(V, "claims", lambda: {"smith-fig-5a": {"en": "a cycle beats the step schedule", "zh": "週期勝過"}})
    header, _, row = V.table([v], "en").splitlines()
    assert header.split(" | ")[1:3] == ["claim", "what we ran"]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:4] == ["a cycle beats the step schedule", "ResNet-20 on MNIST-1D (hard)", "reproduced"]
    assert cells[4].startswith(f"+{v.effect:.2f} [") and "(margin 1.00)" in cells[4] and cells[-1] == "+2.10"
    zh = [c.strip() for c in V.table([v], "zh").splitlines()[2].strip("|").split("|")]
    assert zh[1:4] == ["週期勝過", "ResNet-20，於 MNIST-1D（困難版）", "重現"]
    # an effect read from the author's logs says so, in the sentence and in the table
    logs = V.paired(V.Claim("smith-fig-5a", "a cycle beats the step schedule", "m", 1.0, "w", paper=2.1,
                            paper_from=V.LOGS), np.array([83.0, 84, 82, 83.5]), np.array([80.0, 80.5, 80, 81]))
    assert "The effect in the author's logs: +2.10." in V.explain(logs, "en") and "作者訓練日誌" in V.explain(logs, "zh")
    assert V.table([logs], "en").splitlines()[2].endswith("| +2.10 (logs) |")
    assert "The paper's effect: +2.10." in V.explain(v, "en")
    # a translation of another wording is not shown: the claim as stated is
    monkeypatch.setattr(V, "claims", lambda: {"smith-fig-5a": {"en": "an older claim", "zh": "舊的"}})
    assert V.claim_text(v, "zh") == "a cycle beats the step schedule"


def test_a_claim_of_equivalences_only_gets_its_controls():
    """Both parts equivalences (a rule's exponent against its law's, twice): with each treated arm at its band's
    edge the claim is seldom shown, and at twice the band it is shown different."""
    parts = V.Parts(V.Claim("x", "x", "x", 0.1, "x", form=V.EQUIVALENCE),
                    (V.Compare(V.Claim("x-a", "x", "x", 0.1, "x", form=V.EQUIVALENCE), "a", "law a"),
                     V.Compare(V.Claim("x-b", "x", "x", 0.1, "x", form=V.EQUIVALENCE), "b", "law b")))
    c = V.controls(parts, n_seeds=5, spread=0.03)
    assert c["placebo"] <= c["placebo_limit"] and c["power"] >= 0.80
