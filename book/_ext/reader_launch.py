"""The Binder button opens the chapter's reader notebook, notebooks/<chapter>.ipynb.

A chapter (book/<chapter>.md) opened in JupyterLab shows raw MyST where the page shows numbers,
figures and the package's code. postBuild writes, for each chapter, a notebook that reads like its
page (tools/reader_notebooks.py) into notebooks/, and this extension points the launch button
there: sphinx-book-theme builds the link (priority 501), this rewrites its `urlpath` afterwards.
"""

from __future__ import annotations

import re

FOLDER = "notebooks"  # where postBuild writes the reader notebooks (the repository's root)
URLPATH = re.compile(r"(urlpath=lab/tree/)book/([\w-]+)\.(?:md|ipynb)")


def reader_path(chapter: str) -> str:
    return f"{FOLDER}/{chapter}.ipynb"


def _rewrite(value):
    if isinstance(value, str):
        return URLPATH.sub(lambda m: m.group(1) + reader_path(m.group(2)), value)
    if isinstance(value, list):
        return [_rewrite(v) for v in value]
    if isinstance(value, dict):
        return {k: _rewrite(v) for k, v in value.items()}
    return value


def _on_page(app, pagename, templatename, context, doctree):
    if "header_buttons" in context:
        context["header_buttons"] = _rewrite(context["header_buttons"])


def setup(app):
    app.connect("html-page-context", _on_page, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
