"""The book without its solutions: the student edition (a website) and handout notebooks.

    python tools/editions.py student  [--out _build/student] [--cache _build/.jupyter_cache]
                                      [--exercises "LABEL ..."]
    python tools/editions.py handouts [--out handouts] [--exercises "LABEL ..."]

The Makefile runs both (`make student`, `make handouts`); this script is build tooling, not part
of the published book or of the `nnscratch` package.

student
    Copies what the build reads (_config.yml, _toc.yml, book/, the package sources that pages
    include) into <out>-src, removes every solution directive from every page, marks the title
    "(student edition)", and builds that copy with the same command as `make book`
    (warnings are errors, missing references too) into <out>/_build/html. Solutions are never
    executed cells, so removing them leaves every code cell as it was; jupyter-cache keys a
    notebook on its code cells only, so pointing both editions at one cache (--cache) reuses the
    full edition's execution instead of running every chapter again. (sphinx-exercise's own
    `hide_solutions` is not used: it crashes on the solution-start/solution-end form and still
    executes code cells inside solutions.)

handouts
    Writes <out>/<chapter>.ipynb for every chapter in _toc.yml that has exercises: the chapter
    without its solutions, each exercise a markdown cell titled with its number as in the book
    ("Exercise 3.2"), followed by a code cell with its starter (the function to write and the
    call of its check), outputs empty, kernel python3. Included package source
    ({literalinclude} with :pyobject:) is inlined, since a notebook cannot include files, and
    the prose shows the numbers and figures the chapter glues (tools/reader_notebooks.py, as in
    the reader notebooks), taken from the book build's execution cache (--cache, default
    _build/.jupyter_cache) or, for a chapter it holds no run of, from a run here.

--exercises (make student/handouts EXERCISES="...", the list make assignments takes)
    Only the exercises named. Handouts: only the chapters holding one, and in them only those
    exercises. Student edition: every other exercise is replaced by a one-line "not assigned"
    exercise with the same label, so numbers and references stay those of the full edition.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import nbformat
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "code"))
sys.path.insert(0, str(REPO / "tools"))
import reader_notebooks  # noqa: E402
from nnscratch.exercises import (  # noqa: E402
    book_chapters,
    exercise_numbers,
    read_directives,
    read_exercises,
    strip_solutions,
)

STUDENT_TITLE = " (student edition)"
HANDOUT_NOTE = ("*A handout of the book* Neural networks from scratch: *the chapter without its "
                "solutions. Run the cells from the top. Each coding exercise is followed by a cell "
                "holding the function to write and, on its last line, the check that gives "
                "feedback on your answer: fill in the function and run the cell.*")
IGNORE = shutil.ignore_patterns("_build", "__pycache__", ".ipynb_checkpoints", "*.egg-info")


# ---------------------------------------------------------------------------------------------
# student edition


NOT_ASSIGNED = "*Not part of this assignment.*"


def keep_exercises(text: str, keep: set[str] | None, *, placeholder: bool) -> str:
    """``text`` with only the exercises in ``keep`` (all if None) and their solutions.

    Another exercise is removed with its solution, or, with ``placeholder``, left as a one-line
    exercise with its label, so that numbering and references do not change.
    """
    if keep is None:
        return text
    lines = text.split("\n")
    for d in reversed(read_directives(text, ("exercise", "solution"))):
        label = d.options.get("label", "") if d.name == "exercise" else d.arg.strip()
        if label in keep:
            continue
        lines[d.start:d.end] = ([":::{exercise}", f":label: {label}", "", NOT_ASSIGNED, ":::"]
                                if placeholder and d.name == "exercise" else [])
    return "\n".join(lines)


def parse_exercises(value: str, repo: Path) -> set[str] | None:
    """The labels of ``value`` (spaces or commas), checked against the book; None if empty."""
    labels = [w for w in re.split(r"[\s,]+", value or "") if w]
    if not labels:
        return None
    known = {ex.label for chapter in book_chapters(repo) if chapter.suffix == ".md"
             and chapter.exists() for ex in read_exercises(chapter)}
    unknown = [label for label in labels if label not in known]
    if unknown:
        raise SystemExit(f"editions: unknown exercise label(s): {', '.join(unknown)} (the page "
                         "For instructors lists them)")
    return set(labels)


def stage_student_sources(repo: Path, staging: Path, cache: Path | None,
                          keep: set[str] | None = None) -> Path:
    """Copy the book's sources to ``staging`` with every solution removed; return ``staging``."""
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    shutil.copy2(repo / "_toc.yml", staging / "_toc.yml")
    shutil.copytree(repo / "book", staging / "book", ignore=IGNORE)
    shutil.copytree(repo / "code" / "nnscratch", staging / "code" / "nnscratch", ignore=IGNORE)
    # A rubric says what a full answer contains: it is the instructors', like the solutions. The
    # student edition keeps each exercise's points, minutes and level (its level line), not what
    # a rubric item gives points for.
    rubrics = staging / "book" / "rubrics.yml"
    if rubrics.exists():
        data = yaml.safe_load(rubrics.read_text(encoding="utf8")) or {}
        for entry in (data.get("written") or {}).values():
            for item in entry.get("rubric") or []:
                item["for"] = "(in the instructors' edition)"
        rubrics.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                           encoding="utf8")
    # book/_ext/reader_edition.py makes each page's .ipynb download with this converter.
    (staging / "tools").mkdir()
    shutil.copy2(repo / "tools" / "reader_notebooks.py", staging / "tools" / "reader_notebooks.py")
    for page in (staging / "book").rglob("*.md"):
        text = page.read_text(encoding="utf8")
        stripped = strip_solutions(keep_exercises(text, keep, placeholder=True))
        if stripped != text:
            page.write_text(stripped, encoding="utf8")

    config = yaml.safe_load((repo / "_config.yml").read_text(encoding="utf8"))
    config["title"] = f"{config.get('title', '')}{STUDENT_TITLE}"
    if cache is not None:
        config.setdefault("execute", {})["cache"] = str(cache.resolve())
    # A launch button opens the repository's chapter, solutions included: hand out notebooks.
    config.setdefault("launch_buttons", {})["binderhub_url"] = ""
    config["launch_buttons"]["colab_url"] = ""
    (staging / "_config.yml").write_text(
        "# Generated by tools/editions.py from ../../_config.yml: the student edition.\n"
        + yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf8")
    return staging


def build_student(repo: Path, out: Path, cache: Path | None, keep: set[str] | None = None) -> int:
    """Stage the student sources next to ``out`` and build them; return the build's exit code."""
    staging = stage_student_sources(repo, out.with_name(out.name + "-src"), cache, keep)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(staging), "--path-output", str(out),
               "-W", "-n", "--keep-going"]
    print(f"student edition: building {staging} into {out / '_build' / 'html'}", flush=True)
    start = time.perf_counter()
    code = subprocess.call(command, cwd=staging, env=_build_env())
    print(f"student edition: build finished in {time.perf_counter() - start:.0f} s "
          f"(exit {code})", flush=True)
    return code


def _build_env() -> dict[str, str]:
    env = dict(os.environ, NNSCRATCH_PROGRESS="0")
    if env.get("NNSCRATCH_DATA"):  # chapters execute in book/: hand them an absolute path
        env["NNSCRATCH_DATA"] = str(Path(env["NNSCRATCH_DATA"]).resolve())
    return env


# ---------------------------------------------------------------------------------------------
# handouts


def _inline_includes(text: str, folder: Path) -> str:
    """Replace each {literalinclude} of a Python file by a python block with the source it shows."""
    lines = text.split("\n")
    for d in reversed(read_directives(text, ("literalinclude",))):
        source = (folder / d.arg.strip()).resolve()
        if source.suffix != ".py" or not source.exists():
            continue
        code = source.read_text(encoding="utf8")
        name = d.options.get("pyobject")
        if name:
            node = next((n for n in ast.walk(ast.parse(code))
                         if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name), None)
            if node is None:
                continue
            first = min([node.lineno] + [dec.lineno for dec in node.decorator_list])
            code = "\n".join(code.split("\n")[first - 1:node.end_lineno])
        rel = os.path.relpath(source, REPO)
        lines[d.start:d.end] = [f"From `{rel}`:", "", "```python", code.rstrip("\n"), "```"]
    return "\n".join(lines)


def _exercises_as_cells(text: str, numbers: dict[str, str]) -> str:
    """Each exercise directive -> a titled markdown cell, then its starter as a code cell."""
    lines = text.split("\n")
    for d in reversed(read_directives(text, ("exercise",))):
        label = d.options.get("label", "")
        number = numbers.get(label, "")
        title = f"**Exercise {number}**" + (f" ({d.arg})" if d.arg else "") + f" `{label}`"
        body_lines = d.body.split("\n")
        starter: list[str] = []
        for i, line in enumerate(body_lines):               # the starter: the python block
            m = re.match(r"^(`{3,}|~{3,})[ \t]*python[ \t]*$", line)
            if m:
                end = next(j for j in range(i + 1, len(body_lines))
                           if re.match(rf"^{m.group(1)[0]}{{{len(m.group(1))},}}[ \t]*$",
                                       body_lines[j]))
                starter = body_lines[i + 1:end]
                body_lines[i:end + 1] = []
                break
        cell = ["+++", "", title, "", "\n".join(body_lines).strip("\n"), ""]
        if starter:
            cell += ["```{code-cell} ipython3", *starter, "```", ""]
        cell += ["+++", ""]
        lines[d.start:d.end] = cell
    text = "\n".join(lines)
    # {ref}`label` of an exercise -> "Exercise 3.2", readable in a notebook
    return re.sub(r"\{ref\}`([^`<]*?)(?:\s*<([^`>]+)>)?`",
                  lambda m: (f"Exercise {numbers[m.group(2) or m.group(1)]}"
                             if (m.group(2) or m.group(1)) in numbers else m.group(0)), text)


def glued_values(chapter: Path, cache: Path | None) -> dict[str, dict]:
    """{key: mime bundle} of what the chapter's run glues (the numbers and figures its prose
    pastes): from a book build's execution cache if it holds a run of the chapter's current code,
    else from a run here (tools/reader_notebooks.py, the reader notebooks' converter)."""
    executed = reader_notebooks.from_cache(chapter, cache) if cache and cache.is_dir() else None
    if executed is None:
        print(f"handouts: executing {chapter.name} for its glued values", flush=True)
        executed = reader_notebooks.execute(chapter)
    return reader_notebooks.glued_outputs(executed)


def handout(chapter: Path, numbers: dict[str, str],
            keep: set[str] | None = None,
            glued: dict[str, dict] | None = None) -> nbformat.NotebookNode:
    """The handout notebook of one chapter: no solutions, exercise cells ready for answers.

    With `glued` (glued_values), the prose shows the numbers and figures the page shows, as the
    reader notebooks do; without, glue roles are left as they are."""
    text = strip_solutions(keep_exercises(chapter.read_text(encoding="utf8"), keep,
                                          placeholder=False))
    text = _exercises_as_cells(_inline_includes(text, chapter.parent), numbers)
    notebook = jupytext.reads(text, fmt="myst")
    if glued is not None:
        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                cell.source, attachments = reader_notebooks.convert_markdown(
                    cell.source, chapter, glued)
                if attachments:
                    cell["attachments"] = attachments
    first = notebook.cells[0] if notebook.cells else None
    if first is not None and first.cell_type == "markdown" and first.source.startswith("# "):
        title, _, rest = first.source.partition("\n")                 # the note under the title
        first.source = f"{title}\n\n{HANDOUT_NOTE}\n{rest}"
    else:
        notebook.cells.insert(0, nbformat.v4.new_markdown_cell(HANDOUT_NOTE))
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                       "name": "python3"}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(notebook)
    return notebook


def write_handouts(repo: Path, out: Path, keep: set[str] | None = None,
                   cache: Path | None = None) -> list[Path]:
    """Write one handout per chapter with exercises (in ``keep``) into ``out``; return them.
    With ``cache`` (the command line always gives one), the prose shows the glued values, from
    that execution cache where it has them, else from a run here; without, glue roles stay."""
    numbers = exercise_numbers(repo)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for chapter in book_chapters(repo):
        if chapter.suffix != ".md" or not [ex for ex in read_exercises(chapter)
                                           if keep is None or ex.label in keep]:
            continue
        path = out / f"{chapter.stem}.ipynb"
        glued = glued_values(chapter, cache) if cache is not None else None
        nbformat.write(handout(chapter, numbers, keep, glued), path)
        written.append(path)
        print(f"handouts: wrote {path.relative_to(repo) if path.is_relative_to(repo) else path}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    student = sub.add_parser("student", help="build the student edition (no solutions)")
    student.add_argument("--out", type=Path, default=REPO / "_build" / "student")
    student.add_argument("--cache", type=Path, default=REPO / "_build" / ".jupyter_cache",
                         help="jupyter-cache folder shared with the full edition")
    handouts = sub.add_parser("handouts", help="write a notebook per chapter, no solutions")
    handouts.add_argument("--out", type=Path, default=REPO / "handouts")
    handouts.add_argument("--cache", type=Path, default=REPO / "_build" / ".jupyter_cache",
                          help="a book build's execution cache, for the glued values; a chapter "
                               "it holds no run of is executed here")
    for command in (student, handouts):
        command.add_argument("--exercises", default="",
                             help="only these exercises (labels, separated by spaces or commas)")
    args = parser.parse_args(argv)
    keep = parse_exercises(args.exercises, REPO)
    if args.command == "student":
        return build_student(REPO, args.out.resolve(), args.cache, keep)
    write_handouts(REPO, args.out.resolve(), keep, args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
