"""tools/reader_notebooks.py turns a chapter and its run into a notebook that reads like the page.
(tests/test_binder.py checks the real chapters in JupyterLab.)"""

from __future__ import annotations

import base64
import copy
import re
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
    # The figure is glued for the book only (display=False): no output shows it, the Markdown does.
    nb = executed([glued("acc", {"text/plain": "0.9241"}, False),
                   glued("n", {"text/plain": "60000"}, False),
                   glued("fig", {"image/svg+xml": "<svg/>", "text/plain": "<Figure>"}, False),
                   nbformat.v4.new_output("stream", name="stdout", text="drawn\n")])
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
    # The book-only glue outputs are gone; the printed output stays, collapsed as on the page.
    assert [o.output_type for o in out.cells[1].outputs] == ["stream"]
    assert out.cells[1].metadata["jupyter"] == {"outputs_hidden": True}
    assert len(out.cells) == 2


# --------------------------------------------------------------------------------------------
# Figures: once before a run, once after (JupyterLab expands a collapsed output when it runs the
# cell, and the run displays every figure glued with display on again)


def images(cell, trusted: bool = True) -> list[str]:
    """The images a cell shows in JupyterLab: SVG data URLs and attachments in Markdown, and an
    output's image, which in a notebook JupyterLab does not trust (one opened fresh) shows only
    from a safe type: PNG, JPEG, or (sanitised) HTML, not SVG."""
    if cell.cell_type == "markdown":
        shown = [base64.b64decode(m).decode("utf8")
                 for m in re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"', cell.source)]
        shown += [next(iter(cell.get("attachments", {})[name].values()))
                  for name in re.findall(r"\]\(attachment:([^)]+)\)", cell.source)]
        return shown
    shown = []
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        image = next((data[m] for m in ("image/svg+xml", "image/png", "image/jpeg") if m in data),
                     None)
        safe = "image/png" in data or "image/jpeg" in data or "<img " in data.get("text/html", "")
        if image is not None and (trusted or safe):
            shown.append("".join(image) if isinstance(image, list) else image)
    return shown


def figures_shown(nb, run: bool) -> list[tuple[int, str]]:
    """(cell index, image) of every figure the notebook shows in JupyterLab, in reading order:
    as opened (run=False: untrusted, and collapsed outputs show nothing), or after Run All
    (run=True: every code cell shows its outputs, collapsed or not, trusted, which a run makes
    again: its saved outputs, since the book-only glue records in them have no image types)."""
    return [(i, image) for i, cell in enumerate(nb.cells)
            if run or cell.cell_type == "markdown"
            or not cell.metadata.get("jupyter", {}).get("outputs_hidden")
            for image in images(cell, trusted=run)]


def figure_cell(name: str, svg: str, *others) -> nbformat.NotebookNode:
    """A figure's code cell as the chapters write it: hidden on the page, glue(name, fig) last."""
    cell = nbformat.v4.new_code_cell(f"fig = draw()\nglue({name!r}, fig)\nplt.close(fig)")
    cell.metadata["tags"] = ["hide-input", "remove-output"]
    cell.outputs = [glued(name, {"image/svg+xml": svg, "text/plain": "<Figure>"}, True), *others]
    return cell


FIGURES = [
    nbformat.v4.new_markdown_cell("# A chapter\n\nThe unit is drawn below."),
    figure_cell("one", "<svg id='one'/>"),
    nbformat.v4.new_markdown_cell("```{glue:figure} one\n:alt: A unit\n:name: fig-one\n\n"
                                  "One unit.\n```\n\nProse after the first figure."),
    figure_cell("two", "<svg id='two'/>", glued("n_wrong", {"text/plain": "12"}, False)),
    nbformat.v4.new_code_cell("print(wrong.size)"),
    nbformat.v4.new_markdown_cell("The mistakes, {glue:text}`n_wrong` of them:\n\n"
                                  "```{glue:figure} two\n:alt: Digits\n\nThe worst mistakes.\n```"
                                  "\n\nProse after the second figure."),
]


def test_each_figure_shows_once_before_and_after_a_run_next_to_its_caption() -> None:
    nb = nbformat.v4.new_notebook(cells=copy.deepcopy(FIGURES))
    nb.cells[4].outputs = [nbformat.v4.new_output("stream", name="stdout", text="12\n")]
    out = rn.reader_notebook(REPO_ROOT / "book" / "chapter.md", nb)
    before, after = figures_shown(out, run=False), figures_shown(out, run=True)
    assert [image for _, image in before] == ["<svg id='one'/>", "<svg id='two'/>"], before
    # After Run All: the same figures, each once and in the same place, and it is the code
    # cell's output (the one the reader's run replaces), not a copy of the build's in the Markdown.
    assert after == before, after
    assert all(out.cells[i].cell_type == "code" for i, _ in after)
    # Each caption is the Markdown cell right after the figure: the first stays at the top of
    # the cell after its code; the second, with code in between, moves up, in a cell of its own.
    for i, _ in after:
        assert out.cells[i + 1].cell_type == "markdown", out.cells[i + 1]
    assert out.cells[2].source.startswith("*Figure: One unit.*\n\nProse after the first figure.")
    assert out.cells[4].source == "*Figure: The worst mistakes.*"
    assert out.cells[5].source == "print(wrong.size)"
    assert out.cells[6].source == "The mistakes, 12 of them:\n\nProse after the second figure."
    assert "jupyter" not in out.cells[3].metadata or not out.cells[3].metadata.jupyter.get(
        "outputs_hidden")
    assert out.cells[3].metadata.jupyter == {"source_hidden": True}  # the code stays hidden
    # As opened, the SVG shows from its HTML rendition, with the page's alt text.
    assert out.cells[1].outputs[0].data["text/html"] == (
        '<img src="data:image/svg+xml;base64,PHN2ZyBpZD0nb25lJy8+" alt="A unit" '
        'style="max-width: 100%">')


def test_a_figure_inside_another_directive_is_an_error() -> None:
    nb = nbformat.v4.new_notebook(cells=copy.deepcopy(FIGURES[:2]) + [
        nbformat.v4.new_markdown_cell(":::{note}\n```{glue:figure} one\n\nOne unit.\n```\n:::")])
    with pytest.raises(rn.ReaderError, match="'one' is inside another directive"):
        rn.reader_notebook(REPO_ROOT / "book" / "chapter.md", nb)


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
