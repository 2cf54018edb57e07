"""The verdict core: a claim tested on paired seeds, decided by a confidence interval against a margin.

The rule (DESIGN.md, "The verdict contract"):

* every compared quantity is measured once per seed and the arms share their seeds (and so their data
  order); a seed's *effect* is the difference between its two arms, signed so that a positive effect is the
  direction the claim states;
* a claim states a *margin* in the metric's units, with one sentence of why: the smallest effect that counts;
* a claim of a difference is **reproduced** when the 95 % CI of the mean effect lies above ``+margin``, **not
  reproduced** when it lies below ``-margin``, and **inconclusive** otherwise, reported with the smallest
  effect these seeds would decide (80 % power);
* a claim of *no* difference (form ``equivalence``) is reproduced when the 90 % CI lies inside ``±margin``
  (TOST at 5 %), not reproduced when it lies wholly beyond ``Claim.against`` (the band, or what the seeds
  resolve if that is wider), inconclusive otherwise;
* an **illustration** (a closed form, one deterministic run) is shown and explained, never decided.

The statistics are scipy.stats': the paired t interval (``ttest_1samp`` on the per-seed effects) or the
bootstrap (``scipy.stats.bootstrap``, as rliable does for few runs: Agarwal et al. 2021). Bouthillier et al.
(2021) say why every source of randomness must vary across seeds: the seed sets the initial weights, the
data order and every random draw of a run.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy import stats

REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, ILLUSTRATION = "reproduced", "not reproduced", "inconclusive", "illustration"
TEST = "test"
DIFFERENCE, EQUIVALENCE = "difference", "equivalence"
CONFIDENCE = {DIFFERENCE: 0.95, EQUIVALENCE: 0.90}  # TOST at 5 % is the 90 % CI inside the band
POWER = 0.80  # the power at which the detectable effect is stated

# Where a source's own effect is read: its text (tables, captions), or the author's published logs
TEXT, LOGS = "text", "logs"

# Why a test came out as it did: the key of its sentence in the pages' catalog (book/text/verdicts.yml).
CLEARS, AGAINST, STRADDLES, WITHIN, SHOWN = "clears", "against", "straddles", "within", "shown"
EQUIVALENT, DIFFERENT, BAND_STRADDLES = "equivalent", "different", "band_straddles"
ONE_SEED, NO_SPREAD = "one_seed", "no_spread"


@dataclass(frozen=True)
class Claim:
    """What a source states, as a test: a metric, its direction (a positive effect is the claimed one) and a
    margin in the metric's units."""
    id: str             # the item's stable id: smith-fig-5a
    claim: str          # one line: what the source states
    metric: str         # the per-seed effect and its units: "cycle minus step, final test accuracy (points)"
    margin: float       # the smallest effect that counts, in the metric's units
    why_margin: str     # one sentence: why this margin
    form: str = DIFFERENCE
    paper: float | None = None  # the source's own effect, in the same units and sign, where it reports one
    paper_from: str = TEXT      # where that effect is read: the source's text (TEXT) or the author's logs (LOGS)
    # equivalence only: how far beyond the band a difference must be shown to call the arms different (at least
    # the band; wider where the seeds cannot resolve the band); the band itself stays what "equivalent" needs
    different_beyond: float | None = None

    @property
    def against(self) -> float:
        """The bound an interval must lie beyond for *not reproduced*."""
        return max(self.margin, self.different_beyond or 0.0)

    def __post_init__(self):
        if self.form not in CONFIDENCE:
            raise ValueError(f"form must be one of {', '.join(CONFIDENCE)}, not {self.form!r}")
        if self.paper_from not in (TEXT, LOGS):
            raise ValueError(f"{self.id}: paper_from is {TEXT!r} or {LOGS!r}, not {self.paper_from!r}")
        if not (math.isfinite(self.margin) and self.margin >= 0):
            raise ValueError(f"{self.id}: the margin must be finite and >= 0, not {self.margin!r}")


@dataclass
class Verdict:
    """A decided (or undecided) claim; ``record()`` is its line of ``verdicts.json``."""
    id: str
    claim: str
    kind: str                 # "test" or "illustration"
    form: str                 # "difference" or "equivalence"
    status: str
    effect: float | None      # mean per-seed effect, positive = the claimed direction
    ci: tuple[float, float] | None
    margin: float | None
    n_seeds: int
    paper: float | None
    reason: str               # a key of CLEARS ... SHOWN
    paper_from: str = "text"  # where the paper's effect is read: its text, or the author's logs
    metric: str = ""
    why_margin: str = ""
    detectable: float | None = None  # the smallest effect these seeds decide with POWER
    confidence: float | None = None
    effects: tuple[float, ...] = ()
    chapter: str = ""
    parts: tuple[dict, ...] = ()  # a claim of several tests: each part's id, status, margin and per-seed effects
    ran: dict = field(default_factory=dict)  # what its runs trained, per language ("en", "zh"); none: no training
    stated_margin: float | None = None  # the margin the test states, before a floor of what the seeds resolve

    def record(self) -> dict:
        r = asdict(self)
        r["ci"] = list(self.ci) if self.ci else None
        r["effects"] = list(self.effects)
        r["parts"] = list(self.parts)
        r["explanation"] = explain(self, "en")
        return r


# --- margins --------------------------------------------------------------------------------------------------

def accuracy_margin(n_eval: int, accuracy: float) -> float:
    """Two binomial standard errors of an accuracy measured on ``n_eval`` samples, in points: differences
    smaller than this are within what re-drawing the evaluation set would change."""
    if n_eval < 1 or not 0 <= accuracy <= 1:
        raise ValueError(f"need n_eval >= 1 and an accuracy in [0, 1]; got {n_eval}, {accuracy}")
    return 100 * 2 * math.sqrt(accuracy * (1 - accuracy) / n_eval)


# --- deciding --------------------------------------------------------------------------------------------------

def paired(claim: Claim, treated, baseline, method: str = "t") -> Verdict:
    """Decide ``claim`` from two arms measured on the same seeds: the effect of seed i is
    ``treated[i] - baseline[i]`` (both in the claim's units, ordered by seed)."""
    treated, baseline = np.asarray(treated, dtype=float), np.asarray(baseline, dtype=float)
    if treated.shape != baseline.shape or treated.ndim != 1:
        raise ValueError(f"{claim.id}: the arms must be paired, one value per seed each; got shapes "
                         f"{treated.shape} and {baseline.shape}")
    return decide(claim, treated - baseline, method)


def decide(claim: Claim, effects, method: str = "t") -> Verdict:
    """Decide ``claim`` from its per-seed effects (positive = the claimed direction)."""
    d = np.asarray(effects, dtype=float)
    if d.ndim != 1 or len(d) == 0:
        raise ValueError(f"{claim.id}: need one effect per seed, got {effects!r}")
    if not np.isfinite(d).all():
        raise ValueError(f"{claim.id}: effects must be finite (score a diverged run before comparing it): {d}")
    level = CONFIDENCE[claim.form]
    base = dict(id=claim.id, claim=claim.claim, kind=TEST, form=claim.form, effect=float(d.mean()),
                margin=claim.margin, n_seeds=len(d), paper=claim.paper, paper_from=claim.paper_from, metric=claim.metric,
                why_margin=claim.why_margin, confidence=level, effects=tuple(float(x) for x in d))
    if len(d) < 2:
        return Verdict(status=INCONCLUSIVE, ci=None, reason=ONE_SEED, **base)
    if np.ptp(d) == 0:
        return Verdict(status=INCONCLUSIVE, ci=None, reason=NO_SPREAD, **base)
    lo, hi = interval(d, level, method)
    m = claim.margin
    if claim.form == DIFFERENCE:
        status, reason = ((REPRODUCED, CLEARS) if lo > m else (NOT_REPRODUCED, AGAINST) if hi < -m
                          else (INCONCLUSIVE, WITHIN if -m <= lo and hi <= m else STRADDLES))
    else:
        a = claim.against
        status, reason = ((REPRODUCED, EQUIVALENT) if -m < lo and hi < m else
                          (NOT_REPRODUCED, DIFFERENT) if lo > a or hi < -a else (INCONCLUSIVE, BAND_STRADDLES))
    return Verdict(status=status, ci=(lo, hi), reason=reason, detectable=detectable_effect(d, claim), **base)


def interval(d: np.ndarray, level: float, method: str = "t") -> tuple[float, float]:
    """The ``level`` CI of the mean of ``d``: Student's t, or scipy's BCa bootstrap (``method="bootstrap"``)."""
    if method == "t":
        ci = stats.ttest_1samp(d, 0.0).confidence_interval(level)
    elif method == "bootstrap":
        ci = stats.bootstrap((d,), np.mean, confidence_level=level, n_resamples=9_999, method="BCa",
                             random_state=0).confidence_interval
    else:
        raise ValueError(f"method must be 't' or 'bootstrap', not {method!r}")
    return float(ci.low), float(ci.high)


def detectable_effect(d: np.ndarray, claim: Claim) -> float:
    """What these seeds (their number and spread) can decide with probability POWER. A difference: the
    smallest true effect decided in the claimed direction, the margin plus :func:`resolution`. An equivalence:
    the narrowest band ±b in which a true difference of zero is shown equivalent (a band wider than the
    margin: these seeds cannot show the claim)."""
    reach = resolution(float(np.std(d, ddof=1)), len(d), claim.form)
    return claim.margin + reach if claim.form == DIFFERENCE else reach


def resolution(spread: float, n: int, form: str = DIFFERENCE, power: float = POWER) -> float:
    """How far beyond a bound a true effect must lie for ``n`` seeds whose effects spread by ``spread``
    (standard deviation) to put the CI past that bound with probability ``power``: (t_{1-a/2} + t_power)
    standard errors, for the form's CI (95 %, or TOST's 90 %). For equivalence, the half-width of the band
    that a true difference of zero falls inside with that probability: both ends of the CI must fall inside,
    (t_{1-a/2} + t_{(1+power)/2}) standard errors."""
    alpha = 1 - CONFIDENCE[form]
    beyond = stats.t.ppf(power if form == DIFFERENCE else (1 + power) / 2, n - 1)
    return float((stats.t.ppf(1 - alpha / 2, n - 1) + beyond) * spread / math.sqrt(n))


def illustration(id: str, claim: str, why: str = "") -> Verdict:
    """An item shown, not tested: a closed form or a deterministic demonstration."""
    return Verdict(id=id, claim=claim, kind=ILLUSTRATION, form=DIFFERENCE, status=ILLUSTRATION, effect=None,
                   ci=None, margin=None, n_seeds=0, paper=None, reason=SHOWN, metric="", why_margin=why)


# --- criteria: which arms a claim compares -------------------------------------------------------------------

@dataclass(frozen=True)
class Compare:
    """``treated`` against ``baseline``: the effect of a seed is treated − baseline (form ``difference``: the
    claim is that it is positive beyond the margin; ``equivalence``: that it lies within ±margin)."""
    claim: Claim
    treated: str
    baseline: str

    @property
    def arms(self) -> tuple[str, ...]:
        return (self.treated, self.baseline)

    def decide(self, values: dict) -> Verdict:
        """``values``: arm -> one number per seed, in the claim's units, seeds in the same order."""
        return paired(self.claim, values[self.treated], values[self.baseline])


@dataclass(frozen=True)
class BeatsEach:
    """``treated`` beats every arm of ``baselines`` (an interior optimum: the balanced weight decay beats a
    larger and a smaller one), decided by :func:`all_of` over the comparisons."""
    claim: Claim
    treated: str
    baselines: tuple[str, ...]

    @property
    def arms(self) -> tuple[str, ...]:
        return (self.treated, *self.baselines)

    def decide(self, values: dict) -> Verdict:
        return all_of([paired(self.claim, values[self.treated], values[b]) for b in self.baselines])


@dataclass(frozen=True)
class AllEquivalent:
    """No two of ``arms`` differ: every pair tested for equivalence (form ``equivalence``), decided by
    :func:`all_of` over the pairs."""
    claim: Claim
    arms: tuple[str, ...]

    def decide(self, values: dict) -> Verdict:
        return all_of([paired(self.claim, values[a], values[b])
                       for i, a in enumerate(self.arms) for b in self.arms[i + 1:]])


def all_of(parts: list[Verdict], id: str | None = None, claim: str | None = None) -> Verdict:
    """One verdict for a claim made of several tests: reproduced only if every part is, not reproduced if any
    part is, inconclusive otherwise — an intersection–union test, valid at the parts' own level without a
    correction. The verdict shown is the part that binds: the one furthest against the claim, else the
    undecided one furthest from clearing its margin, else the one that clears its margin by the least (in units
    of its margin). It keeps that part's effect, interval and units, under ``id`` and ``claim`` when given."""
    def clearance(v: Verdict) -> float:  # how far the interval is past the bound that reproduces, in margins
        if v.ci is None:
            return -math.inf
        lo, hi = v.ci
        m = v.margin or 1.0
        return (lo - v.margin) / m if v.form == DIFFERENCE else (v.margin - max(abs(lo), abs(hi))) / m

    against = [v for v in parts if v.status == NOT_REPRODUCED]
    if against:
        bind = min(against, key=lambda v: v.ci[1] if v.form == DIFFERENCE else -max(abs(v.ci[0]), abs(v.ci[1])))
    else:
        bind = min(parts, key=clearance)  # an undecided part first: its clearance is negative
    # every comparison the claim makes, a part's own parts included (a treated arm against each of several)
    each = tuple(p for v in parts
                 for p in v.parts or ({"id": v.id, "status": v.status, "margin": v.margin, "effects": list(v.effects)},))
    if id is None or id == bind.id:
        return replace(bind, claim=claim or bind.claim, parts=each)
    return replace(bind, id=id, claim=claim or bind.claim, metric=f"{bind.id}: {bind.metric}", parts=each)


@dataclass(frozen=True)
class Parts:
    """A claim made of several criteria (each a :class:`Compare`, :class:`BeatsEach` …), decided by
    :func:`all_of`."""
    claim: Claim
    parts: tuple

    @property
    def arms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a for c in self.parts for a in c.arms))

    def decide(self, values: dict) -> Verdict:
        return all_of([c.decide(values) for c in self.parts], self.claim.id, self.claim.claim)


def controls(criterion, n_seeds: int, spread: float, draws: int = 200, seed: int = 0) -> dict:
    """How often ``criterion`` decides wrongly on synthetic data: seeds drawn so that the paired difference
    of any two arms has standard deviation ``spread`` (the seed spread measured on the book's runs).

    * ``placebo``: share of draws decided when there is no effect (difference form: every arm the same;
      equivalence form: a true difference exactly at the band's edge, where "equivalent" is wrong: there the
      rate is the test's own 5 % by construction) — must be ≤ 5 %, within the simulation's error;
    * ``power``: share decided the right way at an effect of twice the margin (difference form: in both
      directions, the smaller share; equivalence: a difference of twice the bound for "different" is
      "not reproduced") — must be ≥ 80 %.

    A claim in several parts (:class:`Parts`) gets its effect in every comparison at once: the arms each of its
    differences is claimed against move (so that the arms of an equivalence it also claims stay together).
    """
    rng = np.random.default_rng(seed)
    m = criterion.claim.margin
    moved = _against(criterion) if isinstance(criterion, Parts) else {criterion.arms[0]: -1.0}

    def decided(shift: float, wrong: set) -> float:
        hits = 0
        for _ in range(draws):
            values = {a: rng.normal(0.0, spread / math.sqrt(2), n_seeds) for a in criterion.arms}
            for arm, sign in moved.items():
                values[arm] = values[arm] - sign * shift
            hits += criterion.decide(values).status in wrong
        return hits / draws

    if criterion.claim.form == DIFFERENCE:
        placebo = decided(0.0, {REPRODUCED, NOT_REPRODUCED})
        power = min(decided(2 * m, {REPRODUCED}), decided(-2 * m, {NOT_REPRODUCED}))
    else:
        placebo = decided(m, {REPRODUCED})
        power = decided(2 * criterion.claim.against, {NOT_REPRODUCED})
    return {"id": criterion.claim.id, "n_seeds": n_seeds, "spread": spread, "margin": m,
            # 5 %, plus two standard errors of a share estimated from ``draws`` draws
            "placebo_limit": 0.05 + 2 * math.sqrt(0.05 * 0.95 / draws),
            "placebo": placebo, "power": power}


def _against(parts: Parts) -> dict[str, float]:
    """The arms a claim in several parts says its difference parts beat (each moves down by the effect: +1), or the
    treated arm where a part's baseline is also an arm of one of its equivalences (it moves up: -1). A claim made
    of equivalences only: each part's treated arm moves up, away from its baseline."""
    together = {a for c in parts.parts if c.claim.form == EQUIVALENCE for a in c.arms}
    moved = {}
    for c in parts.parts:
        if c.claim.form == DIFFERENCE:
            baselines = c.arms[1:]
            if together & set(baselines):
                moved[c.arms[0]] = -1.0
            else:
                moved.update({b: 1.0 for b in baselines})
    return moved or {c.arms[0]: -1.0 for c in parts.parts}


# --- words ----------------------------------------------------------------------------------------------------

def catalog() -> dict:
    """The sentences verdicts are told in, per language (``book/text/verdicts.yml``)."""
    import yaml

    from . import paths

    path = paths.project_root() / "book" / "text" / "verdicts.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _num(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:+.{digits}g}" if abs(x) < 0.01 and x != 0 else f"{x:+.{digits}f}"


def fields(v: Verdict) -> dict:
    """The numbers a verdict's sentence is filled with, formatted."""
    ci = v.ci or (None, None)
    return {"effect": _num(v.effect), "lo": _num(ci[0]), "hi": _num(ci[1]),
            "margin": "—" if v.margin is None else f"{v.margin:.2f}", "n": v.n_seeds,
            "detectable": "—" if v.detectable is None else f"{v.detectable:.2f}",
            "paper": _num(v.paper), "level": "—" if v.confidence is None else f"{100 * v.confidence:.0f}",
            "metric": v.metric}


def explain(v: Verdict, lang: str) -> str:
    """One sentence: why the verdict came out as it did (the catalog's sentence for its reason)."""
    text = catalog()[lang]
    s = text["reasons"][v.reason].format(**fields(v))
    if v.paper is not None and v.kind == TEST:
        s += (" " if lang == "en" else "") + text["paper"][v.paper_from].format(**fields(v))  # Chinese sets no space
    return s


def label(status: str, lang: str) -> str:
    return catalog()[lang]["status"][status]


def line(v: Verdict, lang: str) -> str:
    """``**Verdict: reproduced.** <why>``, in ``lang``."""
    return catalog()[lang]["line"].format(status=label(v.status, lang), why=explain(v, lang))


# --- publishing -----------------------------------------------------------------------------------------------

def glue_verdict(v: Verdict) -> None:
    """Paste the verdict's line into the page as ``<id>-verdict`` (and ``-verdict-zh``)."""
    from . import glue

    glue.text(f"{v.id}-verdict", line(v, "en"), line(v, "zh"))


def claims() -> dict:
    """The claims in Traditional Chinese, with the English each translates (``book/text/claims.yml``)."""
    import yaml

    from . import paths

    path = paths.project_root() / "book" / "text" / "claims.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def claim_text(v: Verdict, lang: str) -> str:
    """The verdict's claim in ``lang``: its translation while that translates this very claim, else as stated."""
    entry = claims().get(v.id, {}) if lang != "en" else {}
    return entry[lang] if entry.get("en") == v.claim and lang in entry else v.claim


def table(verdicts: list[Verdict], lang: str, across_pages: bool = False) -> str:
    """A Markdown table of verdicts: each item linked to its place (on this page, or ``across_pages`` by its
    label), the claim, what its runs trained, the verdict, the effect with its CI and margin, the smallest effect
    its seeds decide, the seeds, and the source's own effect."""
    h = catalog()[lang]["table"]
    heads = [h[k] for k in ("item", "claim", "ran", "status", "effect", "detectable", "n", "paper")]
    rows = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for v in verdicts:
        f = fields(v)
        link = f"{{ref}}`{v.id} <{v.id}>`" if across_pages else f"[{v.id}](#{v.id})"
        effect = "—"
        if v.kind == TEST and v.effect is not None:
            effect = f"{f['effect']} [{f['lo']}, {f['hi']}] ({h['margin']} {f['margin']})" if v.ci else f["effect"]
        paper = f["paper"] + (h["logs"] if v.paper is not None and v.paper_from == LOGS else "")
        cells = [link, claim_text(v, lang).replace("|", "\\|"), v.ran.get(lang, "—"), label(v.status, lang), effect,
                 f["detectable"] if v.kind == TEST else "—", str(v.n_seeds or "—"), paper]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def from_record(r: dict) -> Verdict:
    fields_ = {k: r[k] for k in Verdict.__dataclass_fields__ if k in r}
    return Verdict(**{**fields_, "ci": tuple(r["ci"]) if r["ci"] else None, "effects": tuple(r["effects"]),
                      "parts": tuple(r.get("parts", ()))})


def record_path(profile: str, chapter: str) -> Path:
    from . import paths

    return paths.build_dir() / "verdicts" / profile / f"{chapter}.json"


def publish(verdicts: list[Verdict], chapter: str, profile: str, name: str | None = None) -> None:
    """End a chapter: glue its verdict table (``<name>``, default ``<chapter>-verdicts``) and write its
    records, which the build gathers into ``verdicts.json``."""
    from . import glue

    for v in verdicts:
        v.chapter = chapter
    glue.text(name or f"{chapter}-verdicts", table(verdicts, "en"), table(verdicts, "zh"))
    path = record_path(profile, os.environ.get("HP_BOOK_NOTEBOOK", chapter))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([v.record() for v in verdicts], indent=1), encoding="utf-8")
    tmp.replace(path)


def gather(profile: str) -> list[dict]:
    """Every chapter's records, in the book's order (``_toc.yml``): ``verdicts.json``."""
    from . import build, paths

    out = []
    for page in build.toc_files(paths.project_root()):
        path = record_path(profile, Path(page).name)
        if path.exists():
            out.extend(json.loads(path.read_text(encoding="utf-8")))
    return out


PARTS = {"smith": "smith-", "lecture": ("lecture-", "notes-", "keras-", "nadam-")}


def overview(profile: str) -> dict[str, list[dict]]:
    """The verdicts at a glance: every record of the book, by part, with a forest plot of each part
    (``verdicts-<part>``) and a table linking each claim to its place (``verdicts-<part>-table``)."""
    from . import glue, plots

    records = gather(profile)
    by_part = {part: [r for r in records if r["id"].startswith(prefix)] for part, prefix in PARTS.items()}
    for part, rs in by_part.items():
        plots.publish(plots.forest(rs), f"verdicts-{part}", profile, "—", "—")
        rows = [from_record(r) for r in rs]
        glue.text(f"verdicts-{part}-table", table(rows, "en", True), table(rows, "zh", True))
    counts = {lang: ", ".join(f"{label(s, lang)} {sum(r['status'] == s for r in records)}"
                              for s in (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, ILLUSTRATION))
              for lang in ("en", "zh")}
    glue.text("verdicts-counts", counts["en"], counts["zh"])
    return by_part
