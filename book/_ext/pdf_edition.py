"""Sphinx extension: the PDF edition's place on the site.

The PDF of the whole book is made by tools/pdf.py (`make pdf`, `make student`): headless Chromium
prints the single-page HTML build to <site>/<nnscratch_pdf>. This extension

- adds "Book (.pdf)" to every page's download menu (sphinx-book-theme's dropdown, whose entries
  the theme collects in the page context as `header_buttons`), a link to that file at the root of
  the site the page belongs to (the student edition's site links its own, solution-free PDF);
- lets the single-page build render myst-nb's nodes (see share_html_handlers);
- adds book/_static/print.css for print media: a printed page (the PDF, or a reader's
  File -> Print) has no sidebars, buttons or navigation, only the text.

In _config.yml:

    sphinx:
      local_extensions:
        pdf_edition: book/_ext
      config:
        nnscratch_pdf: nnscratch.pdf   # the default
"""

from __future__ import annotations

from typing import Any

DOWNLOAD_GROUP = "download-buttons"  # the label sphinx-book-theme gives its download dropdown


def add_pdf_to_download_menu(app, pagename, templatename, context, doctree) -> None:
    if app.builder.name != "html":  # the single-page build is what the PDF is printed from
        return
    group = next((b for b in context.get("header_buttons", [])
                  if b.get("label") == DOWNLOAD_GROUP), None)
    if group is None:
        return
    group["buttons"].append({
        "type": "link",
        "url": context["pathto"](app.config.nnscratch_pdf, 1),
        "text": "Book (.pdf)",
        "tooltip": "Download the whole book as one PDF",
        "icon": "fas fa-book",
        "label": "download-book-pdf-button",
    })


def share_html_handlers(app) -> None:
    """Let the single-page builder render every node the HTML builder renders.

    Sphinx looks a node's HTML visitors up under the builder's name, and falls back to its format
    ("html") only when no extension registered any visitor under that name. One extension here
    registers visitors for "singlehtml" (sphinx-exercise), so the fallback never happens and myst-nb's nodes
    (HideCodeCellNode, of the `hide-input` cells) would have none: the single-page build fails
    with "unknown node type". Copying the missing "html" visitors to "singlehtml" fixes that.
    """
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node, visitors in handlers.get("html", {}).items():
        single.setdefault(node, visitors)


def setup(app) -> dict[str, Any]:
    app.add_config_value("nnscratch_pdf", "nnscratch.pdf", "html", str)
    app.add_css_file("print.css", media="print")
    # After sphinx-book-theme's own handler (priority 501), which builds the download menu.
    app.connect("html-page-context", add_pdf_to_download_menu, priority=600)
    app.connect("builder-inited", share_html_handlers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
