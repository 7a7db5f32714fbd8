"""tools/reader_notebooks.py turns a chapter and its run into a notebook that reads like the page.
(tests/test_binder.py checks the real chapters in JupyterLab.)"""

from __future__ import annotations

import sys

import nbformat
import pytest

from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tools"))
import reader_notebooks as rn  # noqa: E402

CHAPTER = '''See {doc}`sigmoid`, or {doc}`that chapter <softmax>`: accuracy {glue:text}`acc:.1%`,
{glue}`n` images.

```{literalinclude} ../code/nnscratch/activations.py
:pyobject: sigmoid
:language: python
```

```{glue:figure} fig
:alt: A line [rising]
:name: x-fig

The curve rises, $z > 0$.
```
'''


def executed(outputs):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(CHAPTER), nbformat.v4.new_code_cell("...")]
    nb.cells[1].outputs = outputs
    nb.cells[1].metadata["tags"] = ["remove-output"]
    return nb


def glued(name, data, display):
    prefix = "" if display else "application/papermill.record/"
    return nbformat.v4.new_output("display_data", {prefix + k: v for k, v in data.items()},
                                  metadata={"scrapbook": {"name": name, "mime_prefix": prefix}})


def test_a_chapter_becomes_plain_markdown() -> None:
    nb = executed([glued("acc", {"text/plain": "0.9241"}, False),
                   glued("n", {"text/plain": "60000"}, False),
                   glued("fig", {"image/svg+xml": "<svg/>", "text/plain": "<Figure>"}, True)])
    out = rn.reader_notebook(REPO_ROOT / "book" / "chapter.md", nb)
    md = out.cells[0].source
    assert "accuracy 92.4%," in md and "60000 images" in md
    assert "*The sigmoid and numerical stability*" in md and "that chapter:" in md
    assert "def sigmoid(" in md and "`code/nnscratch/activations.py`" in md
    # SVG in place (JupyterLab resolves attachments only for bitmaps): base64 of "<svg/>".
    assert ('<img src="data:image/svg+xml;base64,PHN2Zy8+" alt="A line [rising]" '
            'style="max-width: 100%">') in md
    assert "*Figure: The curve rises, $z > 0$.*" in md
    assert "{glue" not in md and "literalinclude" not in md and ":name:" not in md
    assert "attachments" not in out.cells[0]
    # The book-only glue outputs are gone; the displayed figure stays, collapsed as on the page.
    assert [o.metadata["scrapbook"]["name"] for o in out.cells[1].outputs] == ["fig"]
    assert out.cells[1].metadata["jupyter"] == {"outputs_hidden": True}


def test_a_missing_value_is_an_error_that_names_it() -> None:
    nb = executed([glued("n", {"text/plain": "60000"}, False),
                   glued("fig", {"image/svg+xml": "<svg/>"}, True)])
    with pytest.raises(rn.ReaderError, match="nothing was glued as 'acc'"):
        rn.reader_notebook(REPO_ROOT / "book" / "chapter.md", nb)


def test_references_and_citations_read_as_on_the_page() -> None:
    refs = {"sec-x": "Why raw pixels stall", "fig-a": "Figure 3.1", "#fig-a": "3.1",
            "cite:g": "Glorot and Bengio 2010", "cite:k": "Kingma and Ba 2015"}
    md, _ = rn.convert_markdown("in {ref}`sec-x`, {numref}`fig-a`, {numref}`Fig. {number} <fig-a>`"
                                " {cite}`g,k`; {cite}`nope` and {ref}`local-label`",
                                REPO_ROOT / "book" / "chapter.md", {}, refs)
    assert md == ("in *Why raw pixels stall*, Figure 3.1, Fig. 3.1 "
                  "(Glorot and Bengio 2010; Kingma and Ba 2015); {cite}`nope` and {ref}`local-label`")
