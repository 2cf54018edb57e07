"""A chapter whose cell fails stops the build, names the notebook and the cell, and publishes nothing."""

import textwrap

import pytest

from hp_lib import build


@pytest.mark.slow
def test_a_failing_cell_fails_the_build_and_publishes_nothing(tmp_path, monkeypatch):
    """A cell that raises stops the build naming the notebook and the cell; the old site stays as it was."""
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: broken\n")
    (tmp_path / "_config.yml").write_text("title: t\nexecute:\n  execute_notebooks: 'off'\n")
    header = "---\njupytext:\n  text_representation:\n    format_name: myst\nkernelspec:\n  name: hp-book\n  display_name: hp-book\n  language: python\n---\n"
    (tmp_path / "intro.md").write_text(header + '+++ {"tags": ["lang-en"]}\n\n# Intro\n\n+++ {"tags": ["lang-zh"]}\n\n# 簡介\n')
    (tmp_path / "broken.md").write_text(header + textwrap.dedent("""\
        ```{code-cell} ipython3
        :tags: [parameters]
        profile = "cpu"
        ```

        ```{code-cell} ipython3
        x = 1
        ```

        ```{code-cell} ipython3
        raise RuntimeError("this cell is broken")
        ```
        """))
    monkeypatch.setenv("HP_BOOK_BUILD", str(tmp_path / "_build"))
    old_site = tmp_path / "_build" / "html"
    old_site.mkdir(parents=True)
    (old_site / "index.html").write_text("old")
    with pytest.raises(build.BuildError) as error:
        build.build("smoke", root=tmp_path)
    message = str(error.value)
    assert "broken.md" in message and "cell" in message and "this cell is broken" in message
    assert (old_site / "index.html").read_text() == "old"
    executed = tmp_path / "_build" / "executed" / "smoke"
    assert not (executed / "broken.ipynb").exists()
    # the failed notebook is kept for reading, under a name that says so, and the message points at it
    assert (executed / "broken.failed.ipynb").exists() and "broken.failed.ipynb" in message
    assert not (executed / "broken.running.ipynb").exists()
