"""A Sphinx extension for the book's site (listed in _config.yml under ``sphinx.extra_extensions``).

sphinx-thebe registers its configuration script at every ``env-before-read-docs``, which Jupyter Book
fires more than once (sphinx-togglebutton's too), so each page declared ``THEBE_JS_URL`` twice and the
browser reported a SyntaxError. Every page now loads each script once.
"""

from __future__ import annotations


def _each_script_once(app, pagename, templatename, context, doctree) -> None:
    """Keep the first of scripts with the same source and attributes (the copies differ only in
    naming no file as None or as "")."""
    seen, kept = set(), []
    for script in context.get("script_files", []):
        key = (str(script.filename or ""), tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    if "script_files" in context:
        context["script_files"][:] = kept


def setup(app):
    app.connect("html-page-context", _each_script_once)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
