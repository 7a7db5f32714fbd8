"""Notebooks that read like the book's pages, made from the chapters and their executed outputs.

    python tools/reader_notebooks.py --out notebooks                       # execute, then convert
    python tools/reader_notebooks.py --out notebooks --cache _build/.jupyter_cache

A chapter (book/<name>.md) is MyST Markdown for Sphinx. Opened in JupyterLab, even with the
jupyterlab-myst extension, some of it shows as raw syntax: `{glue:text}` roles show their keys,
not the numbers; `literalinclude` shows nothing; `{glue:figure}` directives show neither the
figure nor its caption. This tool writes, for each chapter, an .ipynb in which

* every `{glue}`, `{glue:text}` and `{glue:md}` role is the value the chapter's own run glued,
  formatted as on the page (myst-nb's own formatting function);
* every `{glue:figure}` is the figure with its caption, shown once, before and after a run
  (see "Figures" below);
* every `literalinclude` of the package is the package's source, read from code/ as Sphinx reads
  it (`:pyobject:` picks one function), under the name of its file;
* `{doc}` links name the chapter they point to;
* code cells keep their outputs; cells the page hides (remove-input, hide-input, remove-cell)
  have their source collapsed, and cells whose output the page moves elsewhere (remove-output)
  have their output collapsed, except for the figures a `{glue:figure}` shows (below);

and leaves the rest of MyST (exercises, solutions, admonitions, maths, `{eq}`, `{ref}`) to
jupyterlab-myst, which renders it. The chapter stays the one source: these notebooks are made
from it and never edited. The book build makes them (book/_ext/reader_edition.py): they are the
pages' ".ipynb" downloads, and what the Binder and Colab buttons open. SVG figures are HTML
images with data URLs (JupyterLab shows cell attachments only for bitmap types, and Markdown
image links refuse SVG data URLs).

Figures. A chapter draws a figure in a code cell (hidden on the page: hide-input,
remove-output) that ends with `glue(name, fig)`, and shows it at `{glue:figure} name` with its
caption. glue with display on (which tests/test_binder.py asks for, so that Binder shows the
figure) puts the figure in that cell's output too, and running the cell in JupyterLab puts it
there again, expanded: JupyterLab un-collapses an output when it runs the cell (CodeCell.execute
sets outputHidden to false), so collapsing hides the figure only until the reader runs the
notebook. With the glued image embedded in the Markdown as well, Run All showed every figure
twice: the build's copy at the caption and the reader's drawing in the code cell above it.

Of the two copies the notebook keeps the code cell's output, because it is the only one a run
replaces: after Run All the reader sees the figure their own run drew (with any change they
made to the code), in the place where the build's copy stood before the run; an image in the
Markdown can only ever show the build's run. So a figure that the code displays is that cell's
output, not collapsed, and its `{glue:figure}` becomes the caption alone, in the Markdown cell
right after that code cell (moved up into a cell of its own if the chapter has anything in
between). The saved output of an SVG figure also gets an HTML rendition, the SVG as an HTML
image with a data URL and the directive's alt text: a notebook opened fresh (on Binder, from a
download) is not trusted, and in an untrusted notebook JupyterLab renders no SVG output (it
shows the text/plain "<Figure size ...>") but does render sanitised HTML. Outputs a reader's run
makes are trusted, and their SVG shows. A figure glued with display=False is in no output,
before or after a run: it stays embedded in the Markdown, with its alt text and caption.

The values come from an executed run of each chapter: the one a book build cached
(`--cache _build/.jupyter_cache`, used only if the chapter's code is unchanged since), or else a
fresh run of the chapter here.
"""

from __future__ import annotations

import argparse
import ast
import base64
import copy
import html
import os
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CELL_TIMEOUT = 600

GLUE_ROLE = re.compile(r"\{glue(?::(text|md|any))?\}`([^`]+)`")
DOC_ROLE = re.compile(r"\{doc\}`([^`]+)`")
REF_ROLE = re.compile(r"\{(ref|numref)\}`([^`]+)`")
CITE_ROLE = re.compile(r"\{cite(?::\w+)?\}`([^`]+)`")
FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>.*)$")


class ReaderError(RuntimeError):
    """A chapter uses MyST that this tool cannot turn into plain notebook Markdown."""


# --------------------------------------------------------------------------------------------
# What the chapter's run glued


def glued_outputs(nb) -> dict[str, dict]:
    """{key: mime bundle} of every glue() call in an executed notebook.

    Removes the outputs of glue(..., display=False), which only the book reads (JupyterLab has
    no renderer for their `application/papermill.record/` types)."""
    found = {}
    for cell in nb.cells:
        kept = []
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if not meta or "name" not in meta:
                kept.append(out)
                continue
            prefix = meta.get("mime_prefix", "")
            found[meta["name"]] = {k[len(prefix):]: v for k, v in out.get("data", {}).items()}
            if not prefix:
                kept.append(out)  # displayed as well as glued: the notebook shows it
        if cell.cell_type == "code":
            cell.outputs = kept
    return found


def drawn_figures(nb) -> dict[str, int]:
    """{key: index of the code cell} of every image glued with display on: the figures that
    the cell's output shows, and that running the cell draws again."""
    found = {}
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            meta = out.get("metadata", {}).get("scrapbook")
            if (meta and "name" in meta and not meta.get("mime_prefix")
                    and any(m.startswith("image/") for m in out.get("data", {}))):
                found[meta["name"]] = i  # the last glue of a name wins, as in glued_outputs
    return found


def glue_text(glued: dict[str, dict], role: str | None, content: str, where: str) -> str:
    from myst_nb.core.variables import format_plain_text

    key, fmt = (content.rsplit(":", 1) + [None])[:2] if ":" in content else (content, None)
    if key not in glued:
        raise ReaderError(f"{where}: nothing was glued as {key!r}")
    data = glued[key]
    if role == "md":
        if "text/markdown" not in data:
            raise ReaderError(f"{where}: {key!r} has no text/markdown to paste")
        return data["text/markdown"].strip()
    if "text/plain" not in data:
        raise ReaderError(f"{where}: {key!r} has no text/plain to paste")
    return format_plain_text(data["text/plain"], "s" if fmt is None else fmt)


# --------------------------------------------------------------------------------------------
# The package's source, as Sphinx's literalinclude reads it


def python_object_source(file: Path, name: str) -> str:
    """The source of the function or class `name` (dotted for methods) in `file`."""
    text = file.read_text(encoding="utf8")
    body = ast.parse(text).body
    node = None
    for part in name.split("."):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.ClassDef)) and n.name == part), None)
        if node is None:
            raise ReaderError(f"{file} has no {name}")
        body = node.body
    lines = text.splitlines()
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return "\n".join(lines[start - 1:node.end_lineno])


def literalinclude(arg: str, options: dict[str, str], chapter: Path) -> str:
    file = (chapter.parent / arg.strip()).resolve()
    unknown = set(options) - {"pyobject", "language", "caption", "name", "linenos", "dedent"}
    if unknown:
        raise ReaderError(f"{chapter.name}: literalinclude option(s) {sorted(unknown)} are not "
                          "supported by tools/reader_notebooks.py")
    source = (python_object_source(file, options["pyobject"]) if "pyobject" in options
              else file.read_text(encoding="utf8").rstrip("\n"))
    shown = file.relative_to(ROOT).as_posix() if file.is_relative_to(ROOT) else file.name
    what = f"`{options['pyobject']}` in " if "pyobject" in options else ""
    language = options.get("language", "python")
    return f"{what}`{shown}`:\n\n````{language}\n{source}\n````"


# --------------------------------------------------------------------------------------------
# Markdown


def chapter_title(path: Path) -> str:
    for line in path.read_text(encoding="utf8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem


def doc_link(content: str, chapter: Path) -> str:
    m = re.fullmatch(r"(.*?)\s*<([^>]+)>", content, flags=re.S)
    if m:
        return m.group(1)
    target = (chapter.parent / content.strip()).with_suffix(".md")
    if not target.exists():
        raise ReaderError(f"{chapter.name}: {{doc}}`{content}` names no chapter")
    return f"*{chapter_title(target)}*"


def split_directive(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """A directive's `:key: value` options and the body after them."""
    options, i = {}, 0
    while i < len(lines):
        m = re.match(r"^:([\w-]+):\s*(.*)$", lines[i])
        if not m:
            break
        options[m.group(1)] = m.group(2)
        i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    return options, lines[i:]


def svg_image(payload: str, alt: str) -> str:
    """An SVG as an HTML image with a data URL."""
    encoded = base64.b64encode(payload.encode("utf8")).decode("ascii")
    return (f'<img src="data:image/svg+xml;base64,{encoded}" '
            f'alt="{html.escape(alt, quote=True)}" style="max-width: 100%">')


def figure(arg: str, options: dict[str, str], caption: list[str], glued: dict[str, dict],
           attachments: dict, where: str, drawn: bool = False) -> str:
    """A {glue:figure}: the glued image and its caption; only the caption when the figure is
    `drawn` (a code cell's output shows it, just before: see "Figures" above)."""
    key = arg.strip()
    if key not in glued:
        raise ReaderError(f"{where}: no figure was glued as {key!r}")
    text = " ".join(line.strip() for line in caption).strip()
    if drawn:
        return f"*Figure: {text}*" if text else ""
    data = glued[key]
    mime = next((m for m in ("image/svg+xml", "image/png", "image/jpeg") if m in data), None)
    if mime is None:
        raise ReaderError(f"{where}: the glued {key!r} is not an image")
    ext = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg"}[mime]
    name = f"{key}.{ext}"
    payload = data[mime]
    if isinstance(payload, list):
        payload = "".join(payload)
    if mime == "image/svg+xml":
        # JupyterLab resolves cell attachments only for bitmap types (an SVG attachment shows
        # as a broken image), and Markdown image links refuse SVG data URLs (markdown-it lets
        # only gif/png/jpeg/webp through): an SVG figure is an HTML image with a data URL.
        image = svg_image(payload, options.get("alt", ""))
    else:
        attachments[name] = {mime: payload}
        alt = options.get("alt", "").replace("]", ")").replace("[", "(")
        image = f"![{alt}](attachment:{name})"
    return f"{image}\n\n*Figure: {text}*" if text else image


def ref_text(role: str, content: str, refs: dict[str, str]) -> str:
    """{ref}`label` / {numref}`label` as the page shows it: the target's title ("Figure 3.1",
    a section's name), or the role's own text; a label not in `refs` is left to jupyterlab-myst."""
    m = re.fullmatch(r"(.*?)\s*<([^>]+)>", content, flags=re.S)
    text, label = (m.group(1), m.group(2)) if m else (None, content.strip())
    if label not in refs:
        return f"{{{role}}}`{content}`"
    if text is None:
        return f"*{refs[label]}*" if role == "ref" else refs[label]
    number = refs.get(f"#{label}", refs[label])
    return text.replace("{number}", number).replace("%s", number)


def cite_text(role: str, keys: str, refs: dict[str, str]) -> str:
    """{cite}`a,b` as "(Author 2010; Other 2015)" from refs["cite:a"]; left as it is if a key
    is unknown."""
    names = [refs.get(f"cite:{k.strip()}") for k in keys.split(",")]
    return f"({'; '.join(names)})" if all(names) else role


def convert_markdown(source: str, chapter: Path, glued: dict[str, dict],
                     refs: dict[str, str] | None = None,
                     drawn: frozenset[str] | set[str] = frozenset()) -> tuple[str, dict]:
    """The cell's Markdown with glue, figures, literalincludes and {doc} links resolved, and
    {ref}/{numref} of the labels in `refs` ({label: title}). The figures in `drawn` (keys) show
    in a code cell's output: of them, only the caption."""
    lines, out, attachments, i = source.splitlines(), [], {}, 0
    where = chapter.name
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m and m.group("name") in ("glue:figure", "literalinclude"):
            fence, j = m.group("fence"), i + 1
            while j < len(lines) and lines[j].rstrip() != fence:
                j += 1
            if j == len(lines):
                raise ReaderError(f"{where}: unclosed {m.group('name')} directive")
            options, body = split_directive(lines[i + 1:j])
            if m.group("name") == "literalinclude":
                out.append(literalinclude(m.group("arg"), options, chapter))
            else:
                out.append(figure(m.group("arg"), options, body, glued, attachments, where,
                                  drawn=m.group("arg").strip() in drawn))
            i = j + 1
            continue
        out.append(lines[i])
        i += 1
    text = "\n".join(out)
    text = GLUE_ROLE.sub(lambda g: glue_text(glued, g.group(1), g.group(2), where), text)
    text = DOC_ROLE.sub(lambda d: doc_link(d.group(1), chapter), text)
    if refs:
        text = REF_ROLE.sub(lambda r: ref_text(r.group(1), r.group(2), refs), text)
        text = CITE_ROLE.sub(lambda c: cite_text(c.group(0), c.group(1), refs), text)
    return text, attachments


# --------------------------------------------------------------------------------------------
# Notebooks

def figure_pieces(source: str) -> list[tuple[str | None, list[str]]]:
    """The Markdown cut at its top-level {glue:figure} directives: (key, lines) for each of
    them, (None, lines) for the text around them; the pieces' lines, in order, are the source's.
    A directive inside another one (an admonition, a code block) stays in the text."""
    pieces, text, open_fences, lines, i = [], [], [], source.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        if not open_fences and m and m.group("name") == "glue:figure":
            j = i + 1
            while j < len(lines) and lines[j].rstrip() != m.group("fence"):
                j += 1
            if text:
                pieces.append((None, text))
                text = []
            pieces.append((m.group("arg").strip(), lines[i:j + 1]))
            i = j + 1
            continue
        fence = re.match(r"^(`{3,}|:{3,})", line)
        if open_fences and line.rstrip() == open_fences[-1][0]:
            open_fences.pop()
        elif fence and not (open_fences and open_fences[-1][1]):  # not inside a code block
            open_fences.append((fence.group(1), m is None))  # (fence, is a code block)
        text.append(line)
        i += 1
    if text:
        pieces.append((None, text))
    return pieces


def place_captions(nb, drawn: dict[str, int], where: str) -> dict[str, str]:
    """Put the caption of every figure a code cell draws (`drawn`, from drawn_figures) in the
    Markdown cell right after that cell: a {glue:figure} at the top of the next Markdown cell
    stays there; any other is moved into a Markdown cell of its own after the code cell.
    Returns {key: alt text} of the figures so placed (the ones convert_markdown gives only a
    caption)."""
    moved: dict[int, list[str]] = {}
    placed, emptied = {}, set()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or "glue:figure" not in cell.source:
            continue
        kept, at_top, changed = [], True, False
        for key, lines in figure_pieces(cell.source):
            if key is None:
                nested = [f.group("arg").strip() for f in map(FENCE.match, lines)
                          if f and f.group("name") == "glue:figure"
                          and f.group("arg").strip() in drawn]
                if nested:
                    raise ReaderError(
                        f"{where}: the {{glue:figure}} {nested[0]!r} is inside another directive; "
                        "a notebook shows the figure in the output of the cell that draws it, so "
                        "its caption must be free to follow that cell: put the figure at the top "
                        "level")
                at_top = at_top and not any(line.strip() for line in lines)
                if changed and kept and not kept[-1].rpartition("\n")[2].strip():
                    lines = lines[next((k for k, line in enumerate(lines) if line.strip()),
                                       len(lines)):]  # one blank line where the figure was
                kept.append("\n".join(lines))
                continue
            if key in drawn:
                placed[key] = split_directive(lines[1:-1])[0].get("alt", "")
                if not (at_top and drawn[key] == i - 1):
                    moved.setdefault(drawn[key], []).append("\n".join(lines))
                    changed = True
                    continue
            else:
                at_top = False  # an embedded image: what follows is no longer next to the cell
            kept.append("\n".join(lines))
        if changed:
            cell.source = "\n".join(kept).strip("\n")
            if not cell.source.strip():
                emptied.add(i)
    cells = []
    for i, cell in enumerate(nb.cells):
        if i not in emptied:
            cells.append(cell)
        if i in moved:
            caption = nbformat.v4.new_markdown_cell("\n\n".join(moved[i]))
            if nb.get("nbformat_minor", 5) < 5:
                del caption["id"]  # cell ids are nbformat 4.5
            cells.append(caption)
    nb.cells = cells
    return placed


HIDE_SOURCE = {"remove-input", "hide-input", "remove-cell", "hide-cell"}
HIDE_OUTPUT = {"remove-output", "hide-output"}


def reader_notebook(chapter: Path, executed, glued: dict[str, dict] | None = None,
                    refs: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The reader's notebook of one chapter, from its executed notebook.

    `glued` ({key: mime bundle}) adds values glued elsewhere than in the notebook's outputs
    (myst-nb moves them to <build>/jupyter_execute/<page>.glue.json when it executes a page
    itself); `refs` ({label: title}) resolves {ref} and {numref} roles (the book build knows
    every label; see book/_ext/reader_edition.py)."""
    nb = copy.deepcopy(executed)
    glued = {**(glued or {}), **glued_outputs(nb)}
    # Each figure once, before and after a run: the code cell's output, with the caption after it.
    drawn = place_captions(nb, drawn_figures(nb), chapter.name)
    empty = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            source = cell.source
            cell.source, attachments = convert_markdown(source, chapter, glued, refs, drawn)
            if attachments:
                cell["attachments"] = attachments
            if source.strip() and not cell.source.strip():
                empty.append(cell)  # a figure without a caption, now in the output above
        elif cell.cell_type == "code":
            tags = set(cell.metadata.get("tags", []))
            jupyter = cell.metadata.setdefault("jupyter", {})
            if tags & HIDE_SOURCE:
                jupyter["source_hidden"] = True
            shows_a_figure = False
            for out in cell.get("outputs", []):
                key = out.get("metadata", {}).get("scrapbook", {}).get("name")
                if key in drawn:
                    shows_a_figure = True
                    svg = out.data.get("image/svg+xml")
                    if svg is not None and "text/html" not in out.data:
                        # Shown as opened, before JupyterLab trusts the notebook (see "Figures").
                        out.data["text/html"] = svg_image(
                            "".join(svg) if isinstance(svg, list) else svg, drawn[key])
            if tags & HIDE_OUTPUT and cell.get("outputs") and not shows_a_figure:
                jupyter["outputs_hidden"] = True
    nb.cells = [c for c in nb.cells if not any(c is e for e in empty)]
    nb.metadata.pop("execution", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata.pop("jupytext", None)  # a plain notebook, not paired with the chapter's text
    return nb


def from_cache(chapter: Path, cache_dir: Path):
    """The chapter with the outputs a book build cached (jupyter-cache), or None if the cache
    holds no run of the chapter's current code."""
    import jupytext
    from jupyter_cache import get_cache

    try:
        _, nb = get_cache(str(cache_dir)).merge_match_into_notebook(jupytext.read(chapter))
    except KeyError:
        return None
    return nb


def execute(chapter: Path):
    """Run a chapter in a fresh kernel, as the book build does, and return the notebook."""
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(chapter)
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(chapter.parent)}}).execute()
    return nb


def chapters() -> list[Path]:
    sys.path.insert(0, str(ROOT / "tools"))
    from budget import notebook_chapters

    return notebook_chapters()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for <chapter>.ipynb")
    parser.add_argument("--cache", type=Path,
                        help="a book build's execution cache (_build/.jupyter_cache); a chapter "
                             "it holds no run of is executed here, as is every chapter without it")
    parser.add_argument("names", nargs="*", help="chapter names (default: every one)")
    args = parser.parse_args(argv)
    todo = [c for c in chapters() if not args.names or c.stem in args.names]
    args.out.mkdir(parents=True, exist_ok=True)
    for chapter in todo:
        executed = from_cache(chapter, args.cache) if args.cache else None
        if executed is None:
            print(f"executing {chapter.relative_to(ROOT)}", flush=True)
            executed = execute(chapter)
        nb = reader_notebook(chapter, executed)
        nbformat.write(nb, args.out / f"{chapter.stem}.ipynb")
    print(f"wrote {len(todo)} notebooks into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
