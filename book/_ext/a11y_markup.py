"""Sphinx extension: two fixes to the markup other extensions write, found by axe-core
(tests/test_site.py runs it on every page).

1. duplicate-id. sphinx-exercise wraps the body of every exercise in
   <section id="exercise-content"> and of every solution in <section id="solution-content">, so a
   page with three exercises has three elements with one id (and a fragment link to it cannot say
   which). Each such section gets its box's id instead: "<exercise-label>-content".
2. aria-required-children / aria-required-parent (critical). Docutils writes a bibliography as
   <div role="list" class="citation-list"> holding <div class="citation" role="doc-biblioentry">
   entries. A list must hold list items, and doc-biblioentry (deprecated in DPUB-ARIA 1.1) may
   only sit in a doc-bibliography, so assistive technology is told of a list with no items and of
   items without a list. Each entry becomes role="listitem": a list of references, as it looks.

In _config.yml:

    sphinx:
      local_extensions:
        a11y_markup: book/_ext
"""

from __future__ import annotations

from typing import Any

from docutils import nodes

SHARED_IDS = ("exercise-content", "solution-content")


def unique_content_ids(app, doctree, docname) -> None:
    """Give each exercise's and solution's content section an id of its own."""
    for section in doctree.findall(nodes.section):
        shared = [i for i in section["ids"] if i in SHARED_IDS]
        if not shared:
            continue
        box = section.parent
        owner = next(iter(box.get("ids", [])), None) if box is not None else None
        rest = [i for i in section["ids"] if i not in SHARED_IDS]
        suffix = shared[0].split("-")[1]  # "content"
        section["ids"] = rest + ([f"{owner}-{suffix}"] if owner else [])


def bibliography_list_items(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app) -> dict[str, Any]:
    app.connect("doctree-resolved", unique_content_ids)
    app.connect("html-page-context", bibliography_list_items)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
