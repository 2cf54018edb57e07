"""A Sphinx extension for the book's site (listed in _config.yml under ``sphinx.extra_extensions``).

sphinx-thebe registers its configuration script at every ``env-before-read-docs``, which Jupyter Book
fires more than once, so each page declared ``THEBE_JS_URL`` twice and the browser reported a
SyntaxError. Every page now loads each script once.
"""

from __future__ import annotations


def _each_script_once(app, pagename, templatename, context, doctree) -> None:
    if "script_files" in context:
        context["script_files"] = list(dict.fromkeys(context["script_files"]))


def setup(app):
    app.connect("html-page-context", _each_script_once)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
