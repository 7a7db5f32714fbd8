"""Notebooks that read like the book's pages, made from the chapters and their executed outputs.

    python tools/reader_notebooks.py --out notebooks                       # execute, then convert
    python tools/reader_notebooks.py --out notebooks --cache _build/.jupyter_cache

A chapter (book/<name>.md) is MyST Markdown for Sphinx. Opened in JupyterLab, even with the
jupyterlab-myst extension, some of it shows as raw syntax: `{glue:text}` roles show their keys,
not the numbers; `literalinclude` shows nothing; `{glue:figure}` directives show neither the
figure nor its caption. This tool writes, for each chapter, an .ipynb in which

* every `{glue}`, `{glue:text}` and `{glue:md}` role is the value the chapter's own run glued,
  formatted as on the page (myst-nb's own formatting function);
* every `{glue:figure}` is the figure itself (the glued image: SVG as an HTML image with a data
  URL, bitmaps as a cell attachment) with its alt text and its caption;
* every `literalinclude` of the package is the package's source, read from code/ as Sphinx reads
  it (`:pyobject:` picks one function), under the name of its file;
* `{doc}` links name the chapter they point to;
* code cells keep their outputs; cells the page hides (remove-input, hide-input, remove-cell)
  have their source collapsed, and cells whose output the page moves elsewhere (remove-output)
  have their output collapsed;

and leaves the rest of MyST (exercises, solutions, admonitions, maths, `{eq}`, `{ref}`) to
jupyterlab-myst, which renders it. The chapter stays the one source: these notebooks are made
from it and never edited. The book build makes them (book/_ext/reader_edition.py): they are the
pages' ".ipynb" downloads, and what the Binder and Colab buttons open. SVG figures are HTML
images with data URLs (JupyterLab shows cell attachments only for bitmap types, and Markdown
image links refuse SVG data URLs).

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


def figure(arg: str, options: dict[str, str], caption: list[str], glued: dict[str, dict],
           attachments: dict, where: str) -> str:
    key = arg.strip()
    if key not in glued:
        raise ReaderError(f"{where}: no figure was glued as {key!r}")
    data = glued[key]
    mime = next((m for m in ("image/svg+xml", "image/png", "image/jpeg") if m in data), None)
    if mime is None:
        raise ReaderError(f"{where}: the glued {key!r} is not an image")
    ext = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg"}[mime]
    name = f"{key}.{ext}"
    payload = data[mime]
    if isinstance(payload, list):
        payload = "".join(payload)
    text = " ".join(line.strip() for line in caption).strip()
    if mime == "image/svg+xml":
        # JupyterLab resolves cell attachments only for bitmap types (an SVG attachment shows
        # as a broken image), and Markdown image links refuse SVG data URLs (markdown-it lets
        # only gif/png/jpeg/webp through): an SVG figure is an HTML image with a data URL.
        encoded = base64.b64encode(payload.encode("utf8")).decode("ascii")
        image = (f'<img src="data:image/svg+xml;base64,{encoded}" '
                 f'alt="{html.escape(options.get("alt", ""), quote=True)}" '
                 'style="max-width: 100%">')
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
                     refs: dict[str, str] | None = None) -> tuple[str, dict]:
    """The cell's Markdown with glue, figures, literalincludes and {doc} links resolved, and
    {ref}/{numref} of the labels in `refs` ({label: title})."""
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
                out.append(figure(m.group("arg"), options, body, glued, attachments, where))
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
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source, attachments = convert_markdown(cell.source, chapter, glued, refs)
            if attachments:
                cell["attachments"] = attachments
        elif cell.cell_type == "code":
            tags = set(cell.metadata.get("tags", []))
            jupyter = cell.metadata.setdefault("jupyter", {})
            if tags & HIDE_SOURCE:
                jupyter["source_hidden"] = True
            if tags & HIDE_OUTPUT and cell.get("outputs"):
                jupyter["outputs_hidden"] = True
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
