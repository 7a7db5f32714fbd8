"""Sphinx extension: each chapter's reader notebook, for download, Binder and Colab.

A chapter (book/<name>.md) is MyST Markdown for Sphinx; opened as it is in JupyterLab or Colab it
shows raw syntax (glue roles, literalinclude, figure directives). During the book build, once a
chapter has executed, this extension turns its run (the one jupyter-cache holds, every output
included) into the *reader notebook* with
tools/reader_notebooks.py: the glued numbers written in, the figures with their captions, the
package source the page shows, outputs included. The chapter stays the one source: the reader
notebook is made from it by every build and never edited or committed. Then it

- writes it where sphinx-book-theme's download menu links the page's ".ipynb"
  (<site>/_sources/book/<name>.ipynb), so the menu offers the reader notebook, not the raw one;
- puts first in it a cell that installs the book's package when `nnscratch` is missing (a
  download run outside the repository, Colab): `pip install "nnscratch @ git+<repository
  url>@<branch>#subdirectory=code"`, or the pip arguments in the environment variable
  NNSCRATCH_PIP_ARGS if it is set (tests/test_downloads.py installs from a local wheel so);
- points the page's Binder and Colab buttons at that notebook on the branch the Pages workflow
  publishes the reader notebooks to (`nnscratch_notebooks_branch`, default "notebooks": the
  commit's tree plus book/<name>.ipynb, .github/workflows/book.yml): Binder opens
  lab/tree/book/<name>.ipynb there, Colab opens github/<org>/<repo>/blob/<branch>/book/<name>.ipynb.

Code cells keep their outputs but lose their execution counts, so a notebook opened in JupyterLab
shows which cells the reader has run (`[ ]` until run). A chapter that uses MyST the converter
does not know is a build warning (and -W makes it an error), naming what to change.

In _config.yml:

    sphinx:
      local_extensions:
        reader_edition: book/_ext
      config:
        nnscratch_notebooks_branch: notebooks   # the default
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nbformat
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]

INSTALL_CELL = '''\
# From the book "{title}", {url}
# Outside the book's repository (a download, Colab) this notebook needs the book's package:
# this cell installs it when `nnscratch` is missing, and does nothing when it is there.
import importlib, importlib.util, os, shlex, subprocess, sys

PACKAGE = "{requirement}"
if importlib.util.find_spec("nnscratch") is None:
    pip_args = shlex.split(os.environ.get("NNSCRATCH_PIP_ARGS", PACKAGE))
    print("nnscratch is not installed: pip install", " ".join(pip_args), flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *pip_args], check=True)
    importlib.invalidate_caches()
    print("installed", importlib.import_module("nnscratch").__name__)\
'''
INSTALL_TAG = "install-nnscratch"


def converter():
    sys.path.insert(0, str(ROOT / "tools"))
    import reader_notebooks

    return reader_notebooks


def install_cell(app) -> nbformat.NotebookNode:
    url = app.config.html_theme_options.get("repository_url", "").rstrip("/")
    branch = app.config.html_theme_options.get("repository_branch", "main")
    requirement = f"nnscratch @ git+{url}@{branch}#subdirectory=code"
    cell = nbformat.v4.new_code_cell(INSTALL_CELL.format(
        title=app.config.html_title or app.config.project, url=url, requirement=requirement))
    cell.metadata["tags"] = [INSTALL_TAG]
    return cell


def reference_titles(app) -> dict[str, str]:
    """{label: what a {ref} to it shows}: a section's title, "Figure 3.1"; and "#label": the
    number alone, for a {numref} with its own text."""
    env = app.env
    std = env.get_domain("std").data
    titles = {label: name for label, (_, _, name) in std.get("labels", {}).items() if name}
    for label, (docname, node_id) in std.get("anonlabels", {}).items():
        for figtype, numbers in env.toc_fignumbers.get(docname, {}).items():
            if node_id in numbers:
                number = ".".join(map(str, numbers[node_id]))
                word = {"figure": "Figure", "table": "Table", "code-block": "Listing"}.get(
                    figtype, figtype.capitalize())
                titles[label] = f"{word} {number}"
                titles[f"#{label}"] = number
    titles.update(citation_texts(app))
    return titles


def citation_texts(app) -> dict[str, str]:
    """{"cite:key": "Glorot and Bengio 2010"} for the entries of the book's .bib files, so that
    a notebook names what the page cites (the page links it into the bibliography)."""
    from pybtex.database import parse_file

    texts = {}
    for bibfile in getattr(app.config, "bibtex_bibfiles", []):
        for key, entry in parse_file(str(Path(app.srcdir) / bibfile)).entries.items():
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            last = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
            who = (last[0] if len(last) == 1 else " and ".join(last) if len(last) == 2
                   else f"{last[0]} et al." if last
                   else entry.fields.get("title", key).replace("{", "").replace("}", ""))
            texts[f"cite:{key}"] = f"{who} {entry.fields.get('year', '')}".strip()
    return texts


def reader_notebook(app, pagename: str) -> nbformat.NotebookNode | None:
    chapter = Path(app.srcdir) / f"{pagename}.md"
    if not chapter.exists():
        return None
    rn = converter()
    # The run is the one this build executed or reused. jupyter-cache keeps it with every output
    # (the copy in <build>/jupyter_execute has none when the page came from the cache); a page
    # that always executes (execution_mode: force) is not cached, and its run is that copy, with
    # the glued values beside it in <page>.glue.json.
    cache = Path(app.env.mystnb_config.execution_cache_path)
    executed = rn.from_cache(chapter, cache) if cache.is_dir() else None
    written = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    glue_file = written.with_suffix(".glue.json")
    glued = ({k: v.get("data", {}) for k, v in json.loads(glue_file.read_text("utf8")).items()}
             if glue_file.exists() else {})
    if executed is None and written.exists():
        candidate = nbformat.read(written, as_version=4)
        if any(c.get("outputs") for c in candidate.cells) or not glued:
            executed = candidate
    if executed is None:
        LOGGER.warning(f"no reader notebook for {pagename}: neither the execution cache {cache} "
                       f"nor {written} holds its run", location=pagename)
        return None
    try:
        nb = rn.reader_notebook(chapter, executed, glued, reference_titles(app))
    except rn.ReaderError as err:
        LOGGER.warning(f"no reader notebook for {pagename}: {err} (tools/reader_notebooks.py)",
                       location=pagename)
        return None
    nb.cells.insert(0, install_cell(app))
    nb.nbformat, nb.nbformat_minor = 4, 5  # cells have ids
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        if cell.cell_type == "code":
            cell.execution_count = None
            for out in cell.get("outputs", []):
                if "execution_count" in out:
                    out["execution_count"] = None
    nbformat.validate(nb)
    return nb


def launch_urls(app, pagename: str) -> dict[str, str]:
    """{"Binder": url, "Colab": url} of the page's reader notebook on the notebooks branch."""
    url = app.config.html_theme_options.get("repository_url", "").rstrip("/")
    org, repo = url.split("/")[-2:]
    branch = app.config.nnscratch_notebooks_branch
    path = f"{pagename}.ipynb"
    return {
        "Binder": f"https://mybinder.org/v2/gh/{org}/{repo}/{quote(branch)}"
                  f"?urlpath=lab/tree/{path}",
        "Colab": f"https://colab.research.google.com/github/{org}/{repo}/blob/"
                 f"{quote(branch)}/{path}",
    }


def on_page(app, pagename, templatename, context, doctree) -> None:
    if app.builder.name != "html" or "ipynb_source" not in context:
        return  # not an executed chapter (or the single-page build)
    nb = reader_notebook(app, pagename)
    if nb is None:
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    urls = launch_urls(app, pagename)
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []):
            if group.get("label") == "launch-buttons" and button.get("text") in urls:
                button["url"] = urls[button["text"]]
                button["tooltip"] = f"Open this chapter's notebook on {button['text']}"
            if group.get("label") == "download-buttons" and button.get("text") == ".ipynb":
                button["tooltip"] = ("Download this chapter as a notebook, outputs included "
                                     "(it installs the book's package if it is missing)")


def setup(app) -> dict[str, Any]:
    app.add_config_value("nnscratch_notebooks_branch", "notebooks", "html", str)
    # After sphinx-book-theme's handlers (priority 501), which copy the raw notebook into
    # _sources/ and build the launch and download menus.
    app.connect("html-page-context", on_page, priority=610)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
