"""The book pipeline: ``python -m hp_lib build --profile P`` (what ``make book PROFILE=P`` runs).

1. **Execute.** Every page of ``_toc.yml`` is a jupytext MyST notebook. Pages with code run through
   papermill with ``-p profile P`` into ``_build/executed/P/`` (figures land in ``_build/figures/P/``),
   ``CHAPTERS_AT_ONCE`` at a time: their kernels' worker pools share the cores through
   :func:`hp_lib.sweep.core_slot`, so one chapter's plotting and last runs overlap with the next one's
   training. A failing cell stops the build with the notebook and cell named (the chapters already
   running finish first; their runs are cached); nothing is published.
2. **Split languages.** Markdown cells are tagged ``lang-en`` or ``lang-zh``; each language keeps its own
   cells and all code cells. zh-Hant is the source; zh-Hans is made from it with OpenCC (``tw2sp``) plus
   a small term map. Each page gets links to the same page in the other two languages.
3. **Render.** Jupyter Book 1 builds each language with ``execute_notebooks: off`` into
   ``_build/html/{en,zh-hant,zh-hans}/``; a root ``_build/html/index.html`` offers the three. The new
   site replaces the old one only when all three builds succeed.

``python -m hp_lib run NOTEBOOK -p name value ...`` executes one chapter with other parameters.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from . import parameters as parameters_lib
from . import paths, profiles, terms, verdicts


# chapters executed side by side; their runs still train one per core. One chapter at a time left the cores
# idle at the end of every chapter: the workers trained 91 % of the cold cpu build's wall time, 97 % with
# two at a time (benchmarks/book.py)
CHAPTERS_AT_ONCE = 2


class BuildError(Exception):
    """A build step failed; the message says which and why (one line)."""


@dataclass(frozen=True)
class Language:
    code: str           # folder under _build/html
    sphinx: str         # Sphinx `language`; the site's interface strings come from book/locale/<sphinx>
    label: str          # how the language names itself
    tag: str            # the cell tag it keeps
    title: str
    author: str
    search: str         # the search field's placeholder


@lru_cache(maxsize=1)
def interface() -> dict:
    """The site's own words per language (``book/text/interface.yml``)."""
    return yaml.safe_load((paths.project_root() / "book" / "text" / "interface.yml").read_text(encoding="utf-8"))


LANGUAGES = tuple(Language(code, sphinx, tag=tag, **interface()["languages"][code])
                  for code, sphinx, tag in (("en", "en", "lang-en"), ("zh-hant", "zh_TW", "lang-zh"),
                                            ("zh-hans", "zh_CN", "lang-zh")))
LANG_TAGS = {"lang-en", "lang-zh"}


# --- pages ------------------------------------------------------------------------------------------

def toc_files(root: Path) -> list[str]:
    """Every page of ``_toc.yml`` (root first), as paths without extension."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections"))
            walk(e.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def read_page(path: Path):
    import jupytext

    return jupytext.read(path, fmt="md:myst")


def has_code(nb) -> bool:
    return any(c.cell_type == "code" for c in nb.cells)


# --- 1. execute -------------------------------------------------------------------------------------

def execute(src: Path, out: Path, profile: str, parameters: dict | None = None, progress_file=None,
            env: dict | None = None) -> None:
    """Run one notebook with papermill (its kernel gets ``env`` on top of this process's environment); raise
    BuildError naming the notebook and the failing cell."""
    import papermill as pm

    from . import cache  # (imports torch: not needed by the commands that fail early)

    nb = read_page(src)
    stem = src.stem
    cache.remove_abandoned()  # what a killed run was writing
    fig_dir = paths.figures_dir(profile) / stem
    shutil.rmtree(fig_dir, ignore_errors=True)  # figures of an earlier run are never shown again
    verdicts.record_path(profile, stem).unlink(missing_ok=True)  # nor verdicts
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    env = {**(env or {}), "HP_BOOK_NOTEBOOK": stem, "HP_BOOK_BUILD": str(paths.build_dir())}
    if progress_file:
        env["HP_BOOK_PROGRESS"] = str(progress_file)
    # written as <name>.running.ipynb, renamed to <name>.ipynb when every cell ran, or to
    # <name>.failed.ipynb (with the error in it) when one did not
    partial, failed = out.with_suffix(".running.ipynb"), out.with_suffix(".failed.ipynb")
    failed.unlink(missing_ok=True)
    try:
        pm.execute_notebook(nb, str(partial), parameters={"profile": profile, **(parameters or {})},
                            cwd=str(src.parent), progress_bar=False, kernel_name="hp-book",
                            kernel_manager_class=_kernel_manager(env),
                            # the kernel's own log (e.g. its transport notice) is not the reader's business
                            extra_arguments=["--log-level=ERROR"])
        partial.rename(out)
    except KeyboardInterrupt:
        partial.unlink(missing_ok=True)
        raise
    except pm.PapermillExecutionError as e:
        partial.rename(failed)
        raise BuildError(f"{_rel(src)} failed in cell {e.exec_count} ({_first_line(e.source)}): "
                         f"{e.ename}: {_last_line(e.evalue)}; the executed notebook is {_rel(failed)}") from None


def _kernel_manager(env: dict):
    """A kernel manager class whose kernels start with this process's environment plus ``env``: chapters run
    side by side, so what differs between them cannot go through this process's own environment."""
    from jupyter_client.manager import KernelManager

    class ChapterKernelManager(KernelManager):
        def start_kernel(self, **kw):
            return super().start_kernel(**{**kw, "env": {**os.environ, **kw.get("env", {}), **env}})

    return ChapterKernelManager


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(paths.project_root()))
    except ValueError:
        return str(p)


def _first_line(source: str) -> str:
    lines = [ln for ln in source.strip().splitlines() if ln.strip() and not ln.startswith("#")]
    return (lines[0] if lines else source.strip()[:60])[:80]


def _last_line(text: str) -> str:
    lines = [ln for ln in str(text).strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _reports(progress_file: Path) -> list[dict]:
    return [json.loads(line) for line in progress_file.read_text().splitlines()]


class ExperimentBar:
    """One progress bar counting the experiments that notebooks report (see ``hp_lib.progress``)."""

    def __init__(self, path: Path):
        from tqdm import tqdm

        self.path = path
        path.write_text("")
        self.bar = tqdm(desc="experiments", unit="run", position=1, leave=True, dynamic_ncols=True,
                        mininterval=0.5 if sys.stderr.isatty() else 30)
        self.cached = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self):
        seen = 0
        while True:
            lines = self.path.read_text().splitlines()
            for line in lines[seen:]:
                self.cached += json.loads(line).get("cached", False)
                self.bar.set_postfix(cached=self.cached, refresh=False)
                self.bar.update(1)
            seen = len(lines)
            if self.stop.is_set():
                break
            time.sleep(0.5)

    def close(self):
        self.stop.set()
        self.thread.join()
        self.bar.close()


# --- 2. split languages -----------------------------------------------------------------------------

def to_hans(text: str) -> str:
    out = _opencc().convert(text)
    for wrong, right in terms.HANS_TERMS.items():
        out = out.replace(wrong, right)
    return out


@lru_cache(maxsize=1)
def _opencc():
    import opencc

    return opencc.OpenCC("tw2sp")


_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_CJK_BREAK = re.compile(f"(?<=[{_CJK},;:!?)])\n(?:> ?)?(?=[{_CJK}(])")


def join_cjk_lines(text: str) -> str:
    """Drop the line breaks inside Chinese paragraphs (and quotes): HTML renders them as spaces, and
    Chinese puts no spaces between words."""
    return _CJK_BREAK.sub("", text)


def switcher_html(page: str, current: Language) -> str:
    """Links from ``page`` (e.g. ``notebooks/x``) to the same page in every other language."""
    up = "../" * (page.count("/") + 1)
    links = []
    for lang in LANGUAGES:
        if lang.code == current.code:
            links.append(f'<strong lang="{lang.sphinx.replace("_", "-")}">{lang.label}</strong>')
        else:
            links.append(f'<a class="lang-link" hreflang="{lang.sphinx.replace("_", "-")}" '
                         f'href="{up}{lang.code}/{page}.html">{lang.label}</a>')
    return '<nav class="language-switcher">' + " · ".join(links) + "</nav>"


@dataclass(frozen=True)
class Stamp:
    """What built the site: shown on its front pages."""
    profile: str
    built: str          # e.g. "2026-11-22 18:00 UTC"
    commit: str


def stamp_markdown(stamp: Stamp, lang: Language) -> str:
    """The front page's statement of how the site was built and how to rebuild it at the paper's scale."""
    words = interface()["stamp"]["en" if lang.tag == "lang-en" else "zh"]
    title, text = words["title"], words["text"].format(profile=stamp.profile, built=stamp.built, commit=stamp.commit)
    if lang.code == "zh-hans":
        title, text = to_hans(title), to_hans(text)
    return f":::{{admonition}} {title}\n:class: build-stamp\n\n{text}\n:::"


def split(nb, page: str, lang: Language, stamp: Stamp | None = None):
    """The notebook as readers of ``lang`` see it (with ``stamp`` under its title, if given)."""
    import copy

    import nbformat

    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        lang_tags = tags & LANG_TAGS
        if cell.cell_type == "markdown" and lang_tags and lang.tag not in lang_tags:
            continue
        if cell.cell_type == "markdown" and "lang-zh" in lang_tags:
            cell.source = join_cjk_lines(cell.source)
        if lang.code == "zh-hans":
            if cell.cell_type == "markdown":
                cell.source = to_hans(cell.source)
            for output in cell.get("outputs", []):
                name = output.get("metadata", {}).get("scrapbook", {}).get("name", "")
                if name.endswith("-zh"):
                    for mime, value in output.get("data", {}).items():
                        if mime.endswith(("text/markdown", "text/plain")):
                            output["data"][mime] = to_hans(value)
        cells.append(cell)
    # the switcher goes right under the page title, which stays the page's first heading
    nav = switcher_html(page, lang) + ("\n\n" + stamp_markdown(stamp, lang) if stamp else "")
    for cell in cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("# "):
            title, _, rest = cell.source.lstrip().partition("\n")
            cell.source = f"{title}\n\n{nav}\n{rest}"
            break
    else:
        cells.insert(0, nbformat.v4.new_markdown_cell(nav))
    nb.cells = cells
    return nb


def stage(root: Path, pages: dict[str, object], lang: Language, dest: Path, stamp: Stamp | None = None) -> None:
    """Write the book of one language (config, toc, pages as .ipynb) into ``dest``; ``stamp`` goes on the
    root page."""
    import nbformat

    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    config = yaml.safe_load((root / "_config.yml").read_text())
    config.update(title=lang.title, author=lang.author)
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["language"] = lang.sphinx
    sphinx.setdefault("html_theme_options", {})["search_bar_text"] = lang.search
    (dest / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    (dest / "_toc.yml").write_text(yaml.safe_dump(toc_in(lang, root), allow_unicode=True, sort_keys=False))
    # _static: served, its .css loaded; _templates: the theme's components with translatable strings;
    # locale: those strings' translations (Sphinx's `templates_path` and `locale_dirs` in _config.yml)
    for folder in ("_static", "_templates", "locale"):
        if (root / "book" / folder).is_dir():
            shutil.copytree(root / "book" / folder, dest / folder)
    copy_mathjax(dest / "_mathjax" / "mathjax")  # not under _static: Jupyter Book loads every .js there
    for page, nb in pages.items():
        out = dest / f"{page}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(split(nb, page, lang, stamp if page == next(iter(pages)) else None), out)


def copy_mathjax(dest: Path) -> None:
    """MathJax 3 (from the ``django-static-mathjax`` wheel, which is only MathJax's files): the TeX+MathML
    to HTML bundle, its fonts, and the TeX extensions it loads on demand."""
    import mathjax

    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(es5 / "tex-mml-chtml.js", dest)
    for sub in ("output/chtml", "input/tex/extensions", "ui", "a11y"):
        shutil.copytree(es5 / sub, dest / sub)


def toc_in(lang: Language, root: Path) -> dict:
    """``_toc.yml`` with its part captions in ``lang``."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    if lang.tag == "lang-zh":
        for part in toc.get("parts", []):
            caption = interface()["part_captions"]["zh"][part["caption"]]
            part["caption"] = to_hans(caption) if lang.code == "zh-hans" else caption
    return toc


# --- 3. render --------------------------------------------------------------------------------------

def render(stage_dir: Path) -> Path:
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(stage_dir), "--builder", "html", "--quiet", "-W", "-n", "--keep-going"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        log = (result.stdout + result.stderr).strip().splitlines()
        problems = [ln for ln in log if "WARNING" in ln or "ERROR" in ln or "Error" in ln] or log[-15:]
        raise BuildError(f"jupyter-book failed for {stage_dir.name}:\n  " + "\n  ".join(problems[:20]))
    return stage_dir / "_build" / "html"


def landing_page(stamp: Stamp) -> str:
    """``index.html`` at the site's root: the three languages, and how the site was built."""
    links = "\n".join(f'    <li><a href="{lang.code}/index.html" hreflang="{lang.sphinx.replace("_", "-")}">'
                      f"{lang.label}</a> — {lang.title}</li>" for lang in LANGUAGES)
    stamps = {k: v["landing"].format(profile=stamp.profile, built=stamp.built, commit=stamp.commit)
              for k, v in interface()["stamp"].items()}
    titles = " · ".join(lang.title for lang in LANGUAGES)
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{titles}</title>
<link rel="icon" href="en/_static/favicon.svg" type="image/svg+xml">
<style>body{{font-family:system-ui,sans-serif;max-width:38rem;margin:4rem auto;padding:0 1rem;line-height:1.6}}
li{{font-size:1.3rem;margin:.4rem 0}}</style></head>
<body>
  <h1>The hyper-parameter book</h1>
  <p>Smith (2018) and a lecture on training neural networks, regenerated by running real training.</p>
  <ul>
{links}
  </ul>
  <p class="build-stamp"><small>{stamps["en"]}<br>
  <span lang="zh-Hant">{stamps["zh"]}</span><br>
  <span lang="zh-Hans">{to_hans(stamps["zh"])}</span></small></p>
</body>
</html>
"""


def write_favicon_ico(path: Path) -> None:
    """``/favicon.ico``, which browsers may ask the server's root for whatever the pages link (the pages
    themselves link ``_static/favicon.svg``): the same mark, drawn with Pillow."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 31, 31), radius=6, fill="#1f77b4")
    draw.line([(5, 24), (9, 14), (13, 12), (16, 16), (20, 20), (24, 14), (27, 8)], fill="white", width=3)
    image.save(path, sizes=[(32, 32)])


# --- the commands -----------------------------------------------------------------------------------

def build(profile: str, root: Path | None = None, languages=LANGUAGES) -> Path:
    from tqdm import tqdm

    root = root or paths.project_root()
    build_dir = paths.build_dir()
    executed = build_dir / "executed" / profile
    progress_file = build_dir / "progress" / f"{profile}.jsonl"
    progress_file.parent.mkdir(parents=True, exist_ok=True)

    pages, to_run = {}, []
    for page in toc_files(root):
        src = root / f"{page}.md"
        if not src.exists():
            raise BuildError(f"_toc.yml lists {page}, but {_rel(src)} does not exist")
        nb = read_page(src)
        pages[page] = nb
        if has_code(nb):
            to_run.append(page)
    # pages that read what the chapters produced (the verdicts at a glance) run once the chapters have
    after = [page for page in to_run if pages[page].metadata.get("hp_book", {}).get("after_chapters")]
    to_run = [page for page in to_run if page not in after]

    import nbformat

    slots = build_dir / "slots"  # see hp_lib.sweep.core_slot
    shutil.rmtree(slots, ignore_errors=True)

    def run_chapter(page: str) -> dict:
        out, start = executed / f"{page}.ipynb", time.perf_counter()
        execute(root / f"{page}.md", out, profile, progress_file=progress_file, env={"HP_BOOK_SLOTS": str(slots)})
        pages[page] = nbformat.read(out, as_version=4)
        reports = [r for r in _reports(progress_file) if r.get("notebook") == Path(page).name]
        return {"seconds": round(time.perf_counter() - start, 1), "runs": len(reports),
                "cached": sum(r.get("cached", False) for r in reports)}

    experiments = ExperimentBar(progress_file)
    timings = {}
    try:
        with ThreadPoolExecutor(CHAPTERS_AT_ONCE) as pool:
            futures = {pool.submit(run_chapter, page): page for page in to_run}
            try:
                for future in tqdm(as_completed(futures), total=len(futures), desc="chapters", unit="nb",
                                   position=0, dynamic_ncols=True):
                    page = futures[future]
                    t = timings[page] = future.result()
                    tqdm.write(f"{page}: {t['seconds']:.0f} s, {t['runs']} runs ({t['cached']} from the cache)")
            except BaseException:
                for future in futures:  # a failed chapter stops the build: start no other
                    future.cancel()
                raise
        for page in after:
            timings[page] = run_chapter(page)
    finally:
        experiments.close()
    timings = {page: timings[page] for page in pages if page in timings}  # in the book's order

    stamp = Stamp(profile, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), paths.commit())
    stage_root = build_dir / "stage"
    for lang in languages:
        stage(root, pages, lang, stage_root / lang.code, stamp)
    print(f"rendering {len(pages)} pages in {len(languages)} languages ...", flush=True)
    with ThreadPoolExecutor(len(languages)) as pool:
        html_dirs = list(pool.map(render, [stage_root / lang.code for lang in languages]))

    new = build_dir / "html.new"
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir(parents=True)
    for lang, html in zip(languages, html_dirs):
        shutil.copytree(html, new / lang.code)
    (new / "index.html").write_text(landing_page(stamp))
    write_favicon_ico(new / "favicon.ico")
    (new / "verdicts.json").write_text(json.dumps(verdicts.gather(profile), indent=1, ensure_ascii=False))
    (new / "build.json").write_text(json.dumps({"profile": profile, "built": stamp.built, "commit": stamp.commit,
                                               "pages": list(pages),
                                               "chapters": timings}, indent=1))
    site = build_dir / "html"
    old = build_dir / "html.old"
    shutil.rmtree(old, ignore_errors=True)
    if site.exists():
        site.rename(old)
    new.rename(site)
    shutil.rmtree(old, ignore_errors=True)
    return site


def run_one(notebook: Path, profile: str, parameters: dict, output: Path | None) -> Path:
    parameters_lib.check(notebook, read_page(notebook), parameters)
    out = output or paths.build_dir() / "executed" / profile / f"{notebook.stem}.ipynb"
    execute(notebook, out, profile, parameters)
    return out


def use_executor(executor: str, address: str | None) -> None:
    """Make the chapters' kernels run their sweeps with ``executor`` (``hp_lib.sweep.use``, through the
    environment they inherit)."""
    import importlib.util

    if executor not in ("local", "ray"):
        raise BuildError(f"unknown executor {executor!r}; valid executors: local, ray")
    if executor == "ray" and importlib.util.find_spec("ray") is None:
        raise BuildError("--executor ray needs Ray: pip install '.[cluster]'")
    if address and executor != "ray":
        raise BuildError("--address is for --executor ray")
    os.environ["HP_BOOK_EXECUTOR"] = executor
    if address:
        os.environ["HP_BOOK_RAY_ADDRESS"] = address


def use_data_dir(folder: Path) -> None:
    """Make the chapters' kernels read and keep their datasets in ``folder`` (``hp_lib.paths.data_dir``, through
    the environment they inherit)."""
    if not folder.is_dir():
        raise BuildError(f"--data-dir {folder} is not a folder")
    os.environ["HP_BOOK_DATA"] = str(folder.resolve())


def check_imagenet(notebooks: list[str]) -> None:
    """At ``full``, the chapters among ``notebooks`` (stems) that plan runs on ImageNet (Figs. 3b, 4b and 16) need
    it: refuse to start them without it, rather than fail hours later."""
    from importlib import import_module

    from . import experiments, imagenet

    needing = [name for name in notebooks if name in experiments.CHAPTERS and any(
        cfg.dataset == "imagenet" for cfg in import_module(f"hp_lib.experiments.{name}").CHAPTER.plan("full"))]
    folder = paths.data_dir() / "imagenet"
    missing = [split for split in ("train", "val") if not (folder / split).is_dir()]
    if needing and missing:
        raise BuildError(f"the full profile needs ImageNet ({', '.join(needing)}), and {folder} has no "
                         f"{' or '.join(missing)}/ folder: {imagenet.NEEDED}")


def _parse_value(text: str):
    """``-p name value`` values as papermill reads them: JSON/YAML scalars (numbers, null, true), else text."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def print_controls(measure: bool = False) -> None:
    """Each tested claim's false-decision rate with no effect (placebo) and its power at twice its margin. With
    ``measure``, first write each test's calibration from the last cpu build's records
    (``hp_lib/experiments/measured_on_cpu.json``: the seed spread of its effect, the margin the cpu profile
    then uses, the seeds)."""
    import numpy as np

    from .experiments import common, tests

    if measure:
        records = {r["id"]: r for r in verdicts.gather("cpu")}
        for r in list(records.values()):  # the parts of a claim of several tests, each a test of its own
            for part in r.get("parts", []):
                records.setdefault(part["id"], part)
        calibrated = {}
        for test in tests():
            r = records.get(test.id)
            if r is None or len(r.get("effects") or []) < 2:
                print(f"{test.id:<28} no cpu record with two or more seeds")
                continue
            # the largest spread of the claim's comparisons: which one binds depends on the margins, the
            # calibration must not
            spread = max(float(np.std(e, ddof=1)) for e in [r["effects"], *(p["effects"] for p in r.get("parts", []))]
                         if len(e) >= 2)
            floor = common.resolution_floor(spread, len(r["effects"]), test.comparisons)
            # the margin the test states (a record without it: the margin it applied) raised to the floor of
            # this spread: a floor of an earlier spread does not stay
            stated = r["margin"] if r.get("stated_margin") is None else r["stated_margin"]
            margin = max(stated, floor) if test.form == verdicts.DIFFERENCE else r["margin"]
            calibrated[test.id] = {"spread": round(spread, 4), "margin": round(margin, 4),
                                   "n_seeds": len(r["effects"])}
        built = json.loads((paths.build_dir() / "html" / "build.json").read_text()) \
            if (paths.build_dir() / "html" / "build.json").exists() else {}
        common.MEASURED_ON_CPU.write_text(json.dumps(
            {"from": f"the cpu build's records, {time.strftime('%Y-%m-%d', time.gmtime())}, commit "
                     f"{built.get('commit', paths.commit())}", "tests": calibrated}, indent=1) + "\n")
        common.measured_on_cpu.cache_clear()
        print(f"wrote {len(calibrated)} calibrations to {_rel(common.MEASURED_ON_CPU)}")
    print(f"{'claim':<28} {'seeds':>5} {'spread':>7} {'margin':>7} {'placebo':>8} {'power':>6}")
    for test in tests():
        if test.calibration() is None:
            print(f"{test.id:<28} not measured on the cpu profile's runs")
            continue
        c = common.controls(test)
        print(f"{test.id:<28} {c['n_seeds']:>5} {c['spread']:>7.2f} {c['margin']:>7.2f} {c['placebo']:>8.1%} "
              f"{c['power']:>6.1%}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hp_lib", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="execute every chapter and publish the three-language site")
    b.add_argument("--profile", default="cpu", help=f"one of: {', '.join(profiles.PROFILES)} (default cpu)")
    r = sub.add_parser("run", help="execute one chapter notebook with other parameters")
    r.add_argument("notebook", type=Path)
    r.add_argument("--profile", default="cpu", help=f"one of: {', '.join(profiles.PROFILES)}")
    r.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    r.add_argument("-o", "--output", type=Path, help="executed notebook (default _build/executed/PROFILE/)")
    c = sub.add_parser("controls", help="the placebo and positive controls of every tested claim (false-decision rates)")
    c.add_argument("--measure", action="store_true",
                   help="first write each test's seed spread and margin from the last cpu build's records")
    for command in (b, r):
        command.add_argument("--executor", default="local",
                             help="where the chapters' runs train: local (worker processes, default) or ray")
        command.add_argument("--address", help="with --executor ray: a running Ray cluster, auto or HOST:PORT "
                                                "(default: a local Ray on this machine's cores)")
        command.add_argument("--compile", action="store_true",
                             help="torch.compile the models (worth it for the full profile's long runs on a GPU)")
        command.add_argument("--data-dir", type=Path,
                             help="the datasets' folder (default $HP_BOOK_HOME/data): CIFAR and MNIST are downloaded "
                                  "there if missing; ImageNet, which the full profile trains Figs. 3b, 4b and 16 on, "
                                  "is read from DIR/imagenet/{train,val}/<class>/ and never downloaded")
    args = parser.parse_args(argv)
    if args.command == "controls":
        print_controls(args.measure)
        return 0
    try:
        profiles.get(args.profile)
        use_executor(args.executor, args.address)
        if args.compile:
            os.environ["HP_BOOK_COMPILE"] = "1"  # read by profiles.Profile.accelerator in the chapters' kernels
        if args.data_dir:
            use_data_dir(args.data_dir)
        if args.profile == "full":
            from .experiments import CHAPTERS

            check_imagenet(list(CHAPTERS) if args.command == "build" else [args.notebook.stem])
        if args.command == "build":
            site = build(args.profile)
            print(f"site: {site / 'index.html'}")
        else:
            if not args.notebook.exists():
                raise BuildError(f"no notebook {args.notebook}")
            params = {name: _parse_value(value) for name, value in args.parameter}
            print(f"executed: {run_one(args.notebook, args.profile, params, args.output)}")
    except (BuildError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1 if isinstance(e, BuildError) else 2
    except KeyboardInterrupt:
        # the interrupted cell's task is dropped unread: asyncio would print its traceback at exit
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        print("interrupted: the runs that finished are in the cache; the same command continues from them",
              file=sys.stderr)
        return 130
    return 0
