"""The book built at the smoke profile: every chapter executes, every page exists in the three languages,
each figure file is embedded in its page, the stable ids are anchors, the language links land."""

import hashlib
import json
import re
from pathlib import Path

import pytest

from hp_lib import build

pytestmark = pytest.mark.slow

LANGS = [lang.code for lang in build.LANGUAGES]


def html(site: Path, lang: str, page: str) -> str:
    return (site / "html" / lang / f"{page}.html").read_text()


def stable_ids(root: Path, page: str) -> list[str]:
    text = (root / f"{page}.md").read_text()
    return sorted(set(re.findall(r"^\((smith-[\w-]+|lecture-[\w-]+|notes-[\w-]+|keras-table|nadam-table)\)=", text, re.M)))


def test_every_chapter_executed(smoke_site, root):
    for page in build.toc_files(root):
        if build.has_code(build.read_page(root / f"{page}.md")):
            nb = json.loads((smoke_site / "executed" / "smoke" / f"{page}.ipynb").read_text())
            errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
            assert not errors, f"{page}: {errors[0]['ename']}: {errors[0]['evalue']}"
            assert nb["metadata"]["papermill"]["parameters"]["profile"] == "smoke"


def test_every_page_exists_in_every_language(smoke_site, root):
    for page in build.toc_files(root):
        for lang in LANGS:
            assert (smoke_site / "html" / lang / f"{page}.html").exists(), f"{lang}/{page}.html missing"


def test_landing_page_links_the_three_languages(smoke_site):
    index = (smoke_site / "html" / "index.html").read_text()
    for lang in LANGS:
        assert f'href="{lang}/index.html"' in index
        assert (smoke_site / "html" / lang / "index.html").exists()
    assert "smoke" in index


def test_front_pages_say_how_the_site_was_built(smoke_site):
    record = json.loads((smoke_site / "html" / "build.json").read_text())
    pages = [(smoke_site / "html" / "index.html").read_text()] + [html(smoke_site, lang, "book/intro") for lang in LANGS]
    for page in pages:
        stamp = re.sub(r"<[^>]+>", "", page[page.index("build-stamp"):][:3000])
        for fact in ("smoke", record["built"], record["commit"], "make book PROFILE=full"):
            assert fact in stamp


def test_no_broken_internal_links(smoke_site):
    """Every link and resource of every page that stays inside the site points at a file that exists, and at
    an element with that id when it names one."""
    site = (smoke_site / "html").resolve()
    ids: dict[Path, set[str]] = {}
    broken, checked = [], 0
    for page in site.rglob("*.html"):
        if "mathjax" in page.parts or "_static" in page.parts:  # MathJax's and the theme's own templates
            continue
        text = page.read_text()
        for ref in re.findall(r'(?:href|src)="([^"]+)"', text):
            if ref.startswith(("http:", "https:", "mailto:", "data:", "javascript:")) or ref.startswith("//"):
                continue
            path, _, fragment = ref.partition("#")
            target = (page.parent / path.split("?")[0]).resolve() if path else page
            checked += 1
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {ref}")
            elif fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = set(re.findall(r'\bid="([^"]+)"', target.read_text()))
                if fragment not in ids[target]:
                    broken.append(f"{page.relative_to(site)} -> {ref} (no such id)")
    assert not broken, "\n".join(broken[:30])
    assert checked > 1000


def test_the_interface_speaks_the_pages_language(smoke_site):
    """Sidebar captions, buttons and tooltips are translated, Traditional on zh-Hant pages (the theme's own
    catalog is Simplified only), Simplified on zh-Hans pages."""
    chapter = "notebooks/smith_momentum"
    expected = {"zh-hant": ["課程", "函式庫", "搜尋本書", "顯示或隱藏主側欄", "本頁內容", "色彩模式", "上一頁"],
                "zh-hans": ["课程", "函数库", "搜索本书", "显示或隐藏主侧栏", "颜色模式", "上一页"]}
    for lang, words in expected.items():
        page = html(smoke_site, lang, chapter)
        for word in words:
            assert word in page, f"{lang}: {word} missing"
        for english in ("The lecture", "Toggle primary sidebar", "Search this book", "Color mode", "On this page"):
            assert english not in page, f"{lang}: {english!r} is untranslated"
    hant = html(smoke_site, "zh-hant", chapter)
    for simplified in ("当前页面", "上一页", "请启用"):
        assert simplified not in hant


def test_figures_have_alt_text_and_provenance_in_the_pages_language(smoke_site, root):
    checked = 0
    for page in build.toc_files(root):
        for lang in LANGS:
            text = html(smoke_site, lang, page)
            for figure in re.findall(r'<figure[^>]*>.*?</figure>', text, re.S):
                if "<img" not in figure:
                    continue  # a table
                checked += 1
                alt = re.search(r'<img[^>]*alt="([^"]*)"', figure).group(1)
                chinese = re.search("[\u4e00-\u9fff]", alt) is not None
                assert alt and chinese == lang.startswith("zh"), f"{lang}/{page}: alt text {alt!r}"
                words = ("設定檔", "種子", "提交") if lang == "zh-hant" else \
                    ("配置", "种子", "提交") if lang == "zh-hans" else ("profile", "seeds", "commit")
                assert all(w in figure for w in words), f"{lang}/{page}: no provenance line in {figure[:300]}"
    assert checked >= 3 * 60  # every figure of the book, in each language


def test_stable_ids_are_anchors_in_every_language(smoke_site, root):
    checked = 0
    for page in build.toc_files(root):
        for item in stable_ids(root, page):
            for lang in LANGS:
                assert f'id="{item}"' in html(smoke_site, lang, page), f"{lang}/{page}: no anchor {item}"
                checked += 1
    assert checked >= 5 * len(LANGS)


def test_each_figure_file_is_embedded(smoke_site, root):
    figures = sorted((smoke_site / "figures" / "smoke").rglob("*.png"))
    assert {f.stem for f in figures} >= {"smith-fig-1a", "smith-fig-1b", "smith-fig-2"}
    pages = {Path(p).name: p for p in build.toc_files(root)}
    for png in figures:
        page = pages[png.parent.name]
        digest = hashlib.sha256(png.read_bytes()).hexdigest()
        provenance = json.loads(png.with_suffix(".json").read_text())
        assert provenance["id"] == png.stem and provenance["profile"] == "smoke"
        assert {"dataset", "model", "seeds", "commit", "run_seconds", "created"} <= provenance.keys()
        for lang in LANGS:
            page_html = html(smoke_site, lang, page)
            images = re.findall(r'<img[^>]+src="([^"]+)"', page_html)
            page_dir = (smoke_site / "html" / lang / page).parent
            embedded = {hashlib.sha256((page_dir / src).read_bytes()).hexdigest()
                        for src in images if not src.startswith(("http", "data:"))}
            assert digest in embedded, f"{lang}/{page}: {png.name} is not shown"
            assert f'id="{png.stem}"' in page_html


def test_language_switcher_lands_on_the_same_page(smoke_site, root):
    for page in build.toc_files(root):
        for lang in LANGS:
            page_file = smoke_site / "html" / lang / f"{page}.html"
            links = re.findall(r'class="lang-link"[^>]*href="([^"]+)"', page_file.read_text())
            assert len(links) == len(LANGS) - 1, f"{lang}/{page}: {links}"
            for href in links:
                target = (page_file.parent / href).resolve()
                assert target.exists(), f"{lang}/{page}: {href} does not exist"
                assert target.relative_to((smoke_site / "html").resolve()).with_suffix("").parts[1:] == \
                    Path(page).parts


def test_pages_are_in_their_language(smoke_site, root):
    chapter = next(p for p in build.toc_files(root) if p.startswith("notebooks/"))
    en, hant, hans = (html(smoke_site, lang, chapter) for lang in LANGS)
    assert "learning rate" in en and "學習率" not in en.replace("繁體中文", "")
    assert "學習率" in hant and "判定" in hant
    assert "学习率" in hans and "學習率" not in hans
    # values pasted from the notebook are converted too
    assert "未重現" not in hans and "無定論" not in hans


def test_no_figure_from_an_earlier_run(smoke_site):
    """The figure folder holds exactly the figures this build's notebooks pasted into their pages."""
    glued = set()
    for nb_file in (smoke_site / "executed" / "smoke").rglob("*.ipynb"):
        for cell in json.loads(nb_file.read_text())["cells"]:
            for output in cell.get("outputs", []):
                name = output.get("metadata", {}).get("scrapbook", {}).get("name", "")
                if any(mime.endswith("image/png") for mime in output.get("data", {})):
                    glued.add(name)
    saved = {png.stem for png in (smoke_site / "figures" / "smoke").rglob("*.png")}
    assert saved == glued and saved


SMITH_PANELS = ("1a 1b 2 3a 3b 4a 4b 5a 5b 6a 6b 7a 7b 7c 7d 8a 8b 9a 9b 10a 10b 11a 11b 12a 12b 13a 13b 13c 13d "
                "14a 14b 15a 15b 16a 16b").split()
SMITH_ITEMS = ([f"smith-fig-{p}" for p in SMITH_PANELS] + ["smith-table-1", "smith-table-2"]
               + [f"smith-remark-{i}" for i in range(1, 7)] + [f"smith-checklist-{i}" for i in range(1, 5)])


def test_every_item_of_the_report_has_its_stable_id(root):
    """Every figure panel, table, remark and checklist item of Smith (2018) is a labelled target on one page
    (the anchor test above then checks it in every language)."""
    pages = [p for p in build.toc_files(root) if p.startswith("notebooks/smith_")]
    found = [item for page in pages for item in stable_ids(root, page)]
    assert sorted(set(SMITH_ITEMS) - set(found)) == []
    assert len(found) == len(set(found)), "an id stands on two pages"


LECTURE_ITEMS = ([f"lecture-f{i}" for i in range(1, 29)] + [f"notes-x{i}" for i in range(1, 8)]
                 + ["keras-table", "nadam-table"])


def test_every_item_of_the_lecture_has_its_stable_id(root):
    """Every figure of the lecture (f1–f28), every heuristic of its notes (x1–x7) and the two optimizer
    tables are labelled targets on the lecture's pages."""
    pages = [p for p in build.toc_files(root) if p.startswith("notebooks/lecture_")]
    found = [item for page in pages for item in stable_ids(root, page)]
    assert sorted(set(LECTURE_ITEMS) - set(found), key=LECTURE_ITEMS.index) == []
    assert len(found) == len(set(found)), "an id stands on two pages"


def test_build_records_each_chapters_time_and_runs(smoke_site, root):
    record = json.loads((smoke_site / "html" / "build.json").read_text())
    executed = [p for p in build.toc_files(root) if build.has_code(build.read_page(root / f"{p}.md"))]
    assert record["profile"] == "smoke" and list(record["chapters"]) == executed
    for page, t in record["chapters"].items():
        assert t["seconds"] > 0 and 0 <= t["cached"] <= t["runs"], (page, t)
    assert record["chapters"]["notebooks/smith_momentum"]["runs"] > 0


def test_every_claim_has_its_chinese_translation(smoke_site):
    """Each record's claim is in book/text/claims.yml with the very English it has now (a changed claim whose
    translation was not changed with it fails here), and each record of a trained item says what it ran."""
    from hp_lib import verdicts

    records = json.loads((smoke_site / "html" / "verdicts.json").read_text())
    claims = verdicts.claims()
    stale = [r["id"] for r in records if claims.get(r["id"], {}).get("en") != r["claim"]]
    assert not stale, f"claims without a current translation in book/text/claims.yml: {stale}"
    assert all(claims[r["id"]]["zh"] for r in records)
    trained = [r for r in records if r["id"] == "smith-fig-4a"][0]
    assert "MNIST-1D" in trained["ran"]["en"] and "MNIST-1D" in trained["ran"]["zh"]
