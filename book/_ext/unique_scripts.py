"""Sphinx extension: write each <script> into a page once.

Sphinx 7.4 registers an inline script that an extension adds after the builder has started twice
(once with the file name None, once with ''), so the page declares it twice. sphinx-thebe's
`const THEBE_JS_URL` then throws "Identifier 'THEBE_JS_URL' has already been declared" in every
reader's console. Fixed upstream in Sphinx 8.2 (sphinx-doc/sphinx#13402); this extension does the
same for the Sphinx 7 that Jupyter Book 1 needs, by dropping the second copy from each page.
"""

from __future__ import annotations

from typing import Any


def _key(script: Any) -> tuple:
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {})
    return (filename, getattr(script, "priority", 500), tuple(sorted(attributes.items())))


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    # A new list: the old one is the builder's own, which Sphinx restores after each page.
    context["script_files"] = unique


def setup(app) -> dict[str, Any]:
    # Last among the page-context handlers, after those that add a page's own scripts (MathJax).
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
