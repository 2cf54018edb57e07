"""Every page is bilingual: each English markdown cell has a Chinese partner, nothing is untagged, and
the two versions carry the same anchors and pasted values."""

import re

import pytest

from hp_lib import build

LABEL = re.compile(r"^\(([\w-]+)\)=", re.M)
GLUE = re.compile(r"\{glue:(?:md|figure|text)\}`?\s*([\w-]+)")


def pages(root):
    return [root / f"{p}.md" for p in build.toc_files(root)]


def blocks(nb):
    """Runs of consecutive markdown cells (between code cells)."""
    run = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            run.append(cell)
        elif run:
            yield run
            run = []
    if run:
        yield run


def tags(cell):
    return set(cell.metadata.get("tags", [])) & build.LANG_TAGS


def test_toc_pages_exist(root):
    assert pages(root), "the table of contents is empty"
    for page in pages(root):
        assert page.exists(), page


@pytest.mark.parametrize("lang_tag", ["lang-en", "lang-zh"])
def test_each_language_has_content(root, lang_tag):
    for page in pages(root):
        nb = build.read_page(page)
        assert any(lang_tag in tags(c) for c in nb.cells if c.cell_type == "markdown"), f"{page.name}: no {lang_tag}"


def test_no_untagged_markdown(root):
    for page in pages(root):
        for cell in build.read_page(page).cells:
            if cell.cell_type == "markdown":
                assert len(tags(cell)) == 1, f"{page.name}: markdown cell without one language tag: {cell.source[:80]!r}"


def test_every_english_cell_has_a_chinese_partner(root):
    for page in pages(root):
        for run in blocks(build.read_page(page)):
            en = [c for c in run if "lang-en" in tags(c)]
            zh = [c for c in run if "lang-zh" in tags(c)]
            where = f"{page.name}: {run[0].source[:60]!r}"
            assert len(en) == len(zh), f"{where}: {len(en)} English cells, {len(zh)} Chinese"
            en_text, zh_text = "\n".join(c.source for c in en), "\n".join(c.source for c in zh)
            assert LABEL.findall(en_text) == LABEL.findall(zh_text), f"{where}: anchors differ"
            # the same values, in the order each language's sentences put them
            en_glue = sorted(GLUE.findall(en_text))
            zh_glue = sorted(g.removesuffix("-zh") for g in GLUE.findall(zh_text))
            assert en_glue == zh_glue, f"{where}: pasted values differ: {en_glue} vs {zh_glue}"


@pytest.mark.parametrize("hant, hans", [("批次量", "批量大小"), ("網路", "网络"), ("資料集", "数据集"),
                                        ("學習率範圍測試", "学习率范围测试"), ("權重衰減", "权重衰减"),
                                        ("過擬合", "过拟合"), ("週期動量", "周期动量")])
def test_glossary_converts_to_mainland_terms(hant, hans):
    assert build.to_hans(hant) == hans


@pytest.mark.parametrize("source, joined", [
    ("學習率範圍測試在每次迭代時\n把學習率增加", "學習率範圍測試在每次迭代時把學習率增加"),
    ("> 「測試/驗證損失是網路收斂的\n> 一個很好的指標」", "> 「測試/驗證損失是網路收斂的一個很好的指標」"),
    ("使用 `hp_lib`\n判準", "使用 `hp_lib`\n判準"),          # after Latin text the break stays a space
    ("第一段。\n\n第二段", "第一段。\n\n第二段"),              # paragraphs stay apart
    ("English line\nnext line", "English line\nnext line"),
])
def test_chinese_soft_line_breaks_are_joined(source, joined):
    assert build.join_cjk_lines(source) == joined


def test_every_tested_claim_has_its_current_translation():
    """book/text/claims.yml translates each chapter's tests as they are stated now (the smoke book checks the
    rest of the records: illustrations and claims made in the pages)."""
    from hp_lib import experiments, verdicts

    claims = verdicts.claims()
    stated = {t.id: t.claim for c in experiments.chapters() for t in c.tests if t.id in c.items}  # records only
    stale = sorted(i for i, claim in stated.items() if claims.get(i, {}).get("en") != claim)
    assert not stale, f"translate these claims anew in book/text/claims.yml: {stale}"
