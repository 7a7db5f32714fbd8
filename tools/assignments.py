"""Otter assignments from the book's exercises: a student notebook and a Gradescope autograder.

    python tools/assignments.py [--exercises "LABEL ..."] [--chapters "STEM ..."] [--name NAME]
                                [--out assignments] [--no-run-tests]

The Makefile runs it (`make assignments`, with EXERCISES="..." or CHAPTERS="..."). Without a list
it makes one assignment per chapter that has exercises; with --exercises it makes one assignment
of exactly those exercises, in the book's order (named --name, default "assignment").

For each assignment it writes an Otter Assign master notebook (format v1: an ``# ASSIGNMENT
CONFIG`` cell, then ``# BEGIN QUESTION`` ... ``# END QUESTION`` blocks) into
<out>/<name>/master/ and runs ``otter assign`` on it, which writes

- <out>/<name>/dist/student/<name>.ipynb, the student notebook, and its public tests;
- <out>/<name>/dist/autograder/<name>-autograder_*.zip, the zip to upload to Gradescope, and the
  same files unzipped beside it (tests/ holds the public and the hidden tests).

Each coding exercise is one question. Its text comes from the chapter; its answer cell is the
exercise's starter (the function to write, then the check's call, which gives the student the
same printed feedback as in the book); its solution is the book's. Its tests are

- public (in the student notebook too): the book's check in grading mode,
  ``nnscratch.checks.grading.require(label, fn)``, which raises on failure with the check's
  message and scores nothing for the package's own function (PUBLIC_POINTS points);
- hidden (autograder only): every function of ``tools/hidden_tests/<label>.py``, one point each
  (or the module's ``POINTS``), which test more inputs and the edge cases.

Each derivation and question exercise is a manually graded question with the points of its
rubric (book/rubrics.yml), to grade by hand on Gradescope or from the submitted notebooks.

The autograder zip holds a copy of the ``nnscratch`` package (the tests import it) and a
requirements.txt with the book's pins of its dependencies, so Gradescope needs nothing else;
Otter's generated setup.sh installs Miniforge there. ``otter assign`` also runs the tests on the
solutions (unless --no-run-tests): an assignment whose solutions fail its own tests is not written.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "code"))
from nnscratch.checks.grading import EXERCISES as GRADED  # noqa: E402
from nnscratch.exercises import Exercise, book_chapters, exercise_numbers, read_exercises  # noqa: E402

#: A book build's execution cache (make assignments passes _build/.jupyter_cache): with it, the
#: exercises' glue roles show the chapter's glued values (a chapter it holds no run of is run
#: here); without (None), they show their keys.
GLUE_CACHE: Path | None = None
_GLUED: dict[str, dict] = {}

HIDDEN = REPO / "tools" / "hidden_tests"
RUBRICS = REPO / "book" / "rubrics.yml"
PUBLIC_POINTS = 2
#: The package's dependencies, pinned as in requirements.txt, for the autograder's environment.
AUTOGRADER_PACKAGES = ("numpy", "matplotlib", "tqdm")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def all_exercises(repo: Path = REPO) -> list[Exercise]:
    """Every exercise of the book, in _toc.yml order."""
    return [ex for chapter in book_chapters(repo) if chapter.suffix == ".md" and chapter.exists()
            for ex in read_exercises(chapter)]


def load_rubrics(path: Path = RUBRICS) -> dict[str, dict]:
    """The written exercises' points and rubrics, keyed by label (book/rubrics.yml)."""
    data = yaml.safe_load(path.read_text(encoding="utf8")) or {}
    return data.get("written") or {}


def hidden_tests(label: str) -> list[tuple[str, str, int]]:
    """The hidden tests of a coding exercise: (name, source of the function, points)."""
    path = HIDDEN / f"{label}.py"
    if not path.exists():
        return []
    text = path.read_text(encoding="utf8")
    tree = ast.parse(text)
    points = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "POINTS" for t in node.targets):
            points = ast.literal_eval(node.value)
    return [(node.name, ast.get_source_segment(text, node), int(points.get(node.name, 1)))
            for node in tree.body if isinstance(node, ast.FunctionDef)]


def _prose(ex: Exercise, numbers: dict[str, str]) -> str:
    """The exercise's text for a notebook: no starter block, MyST roles made readable."""
    lines, out, skip = ex.text.split("\n"), [], None
    for line in lines:
        fence = re.match(r"^[ \t]*(`{3,}|~{3,})[ \t]*python[ \t]*$", line)
        if skip is None and fence:
            skip = fence.group(1)
            continue
        if skip is not None:
            if re.match(rf"^[ \t]*{re.escape(skip[0])}{{{len(skip)},}}[ \t]*$", line):
                skip = None
            continue
        out.append(line)
    text = "\n".join(out).strip()
    text = re.sub(r"\{(?:ref|numref)\}`([^`<]*?)(?:\s*<([^`>]+)>)?`",
                  lambda m: (f"Exercise {numbers[m.group(2) or m.group(1)]}"
                             if (m.group(2) or m.group(1)) in numbers
                             else (m.group(1).strip() or m.group(2))), text)
    if GLUE_CACHE is not None and "{glue" in text:
        sys.path.insert(0, str(REPO / "tools"))
        import editions
        import reader_notebooks as rn

        if ex.chapter not in _GLUED:
            _GLUED[ex.chapter] = editions.glued_values(REPO / "book" / f"{ex.chapter}.md",
                                                       GLUE_CACHE)
        text = rn.GLUE_ROLE.sub(lambda g: rn.glue_text(_GLUED[ex.chapter], g.group(1),
                                                       g.group(2), ex.label), text)
    text = re.sub(r"\{math\}`([^`]*)`", r"$\1$", text)
    return re.sub(r"\{\w+\}`([^`<]*?)(?:\s*<[^`>]+>)?`", r"\1", text)


def _title(ex: Exercise, numbers: dict[str, str]) -> str:
    return f"### Exercise {numbers.get(ex.label, '')} (`{ex.label}`, chapter *{ex.chapter}*)"


def _raw(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_raw_cell(text)


def coding_cells(ex: Exercise, numbers: dict[str, str]) -> list[nbformat.NotebookNode]:
    """One coding exercise as an Otter question: prompt, solution cell, public and hidden tests."""
    if ex.starter is None or ex.solution_code is None or ex.function is None:
        raise ValueError(f"{ex.label}: a coding exercise needs a starter and a solution")
    starter = [line for line in ex.starter.rstrip("\n").split("\n") if line != ex.check_call]
    while starter and not starter[-1].strip():
        starter.pop()
    if "'''" in "\n".join(starter):
        raise ValueError(f"{ex.label}: the starter may not contain ''' (it marks Otter's prompt)")
    points = [PUBLIC_POINTS] + [p for _, _, p in hidden_tests(ex.label)]
    answer = ["''' # BEGIN PROMPT", *starter, "''' # END PROMPT",
              "# BEGIN SOLUTION NO PROMPT", ex.solution_code.rstrip("\n"), "# END SOLUTION"]
    if ex.check_call:
        answer += ["", ex.check_call]
    fn = ex.function
    public = (f"def test_check({fn}):\n"
              f"    \"\"\"The book's check, {ex.check}, in grading mode.\"\"\"\n"
              f"    from nnscratch.checks.grading import require\n"
              f"    require({ex.label!r}, {fn})\n\n"
              f"test_check({fn})")
    cells = [nbformat.v4.new_markdown_cell(f"{_title(ex, numbers)}\n\n{_prose(ex, numbers)}"),
             _raw(f"# BEGIN QUESTION\nname: {ex.label}\npoints: {json.dumps(points)}"),
             _raw("# BEGIN SOLUTION"),
             nbformat.v4.new_code_cell("\n".join(answer)),
             _raw("# END SOLUTION"),
             _raw("# BEGIN TESTS"),
             nbformat.v4.new_code_cell(public)]
    for name, source, _ in hidden_tests(ex.label):
        cells.append(nbformat.v4.new_code_cell(
            f'""" # BEGIN TEST CONFIG\nhidden: true\n""" # END TEST CONFIG\n{source}\n\n'
            f"{name}({fn})"))
    cells += [_raw("# END TESTS"), _raw("# END QUESTION")]
    return cells


def written_cells(ex: Exercise, numbers: dict[str, str], rubric: dict) -> list[nbformat.NotebookNode]:
    """A derivation or question exercise as a manually graded Otter question."""
    solution = _prose(Exercise(ex.label, ex.chapter, ex.solution or "", None, None, None,
                               ex.kind, ex.span), numbers)
    return [_raw(f"# BEGIN QUESTION\nname: {ex.label}\nmanual: true\npoints: {rubric['points']}"),
            nbformat.v4.new_markdown_cell(
                f"{_title(ex, numbers)} — {ex.kind}, {rubric['points']} points, graded by hand"
                f"\n\n{_prose(ex, numbers)}"),
            _raw("# BEGIN SOLUTION"),
            nbformat.v4.new_markdown_cell(solution or "*(see the full edition)*"),
            _raw("# END SOLUTION"),
            _raw("# END QUESTION")]


def _pins(repo: Path) -> list[str]:
    pins = {}
    for line in (repo / "requirements.txt").read_text(encoding="utf8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if m:
            pins[m.group(1).lower()] = line.strip()
    return [pins[p] for p in AUTOGRADER_PACKAGES]


def master_notebook(name: str, exercises: list[Exercise], numbers: dict[str, str],
                    rubrics: dict[str, dict]) -> nbformat.NotebookNode:
    """The Otter Assign master notebook of one assignment."""
    config = {
        "name": name,
        "requirements": "requirements.txt",
        "overwrite_requirements": False,
        "autograder_files": ["nnscratch"],
        "init_cell": True,
        "check_all_cell": False,
        "export_cell": False,
        "solutions_pdf": False,
        "run_tests": True,
        "tests": {"files": True, "ok_format": False},
        "generate": {"pdf": False, "show_stdout": True, "show_hidden": True},
    }
    chapters = sorted({ex.chapter for ex in exercises}, key=[e.chapter for e in exercises].index)
    intro = (f"# Assignment: {name}\n\n*Neural networks from scratch*: exercises from the "
             f"chapter{'s' if len(chapters) > 1 else ''} {', '.join(chapters)}. Run the cells from "
             "the top. Each coding exercise has a cell holding the function to write and, on its "
             "last line, the book's check, which tells you at once what is right and what is not; "
             "`grader.check(...)` runs the same check as the autograder's public test. The "
             "autograder also runs hidden tests, on more inputs and the edge cases. An answer that "
             "hands back the package's own function (for example `my_sigmoid = nn.sigmoid`) "
             "scores nothing. Written exercises are graded by hand: write your answer in the cell "
             "below each one.")
    cells = [_raw("# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False)),
             nbformat.v4.new_markdown_cell(intro),
             nbformat.v4.new_code_cell("import numpy as np\n\nimport nnscratch as nn")]
    for ex in exercises:
        if ex.kind == "coding":
            cells += coding_cells(ex, numbers)
        else:
            cells += written_cells(ex, numbers, rubrics[ex.label])
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                       "name": "python3"}
    return notebook


def choose(exercises: list[Exercise], labels: list[str] | None, chapters: list[str] | None,
           rubrics: dict[str, dict]) -> dict[str, list[Exercise]]:
    """The assignments to make: {name: exercises}. Raises ValueError for an unknown name."""
    by_label = {ex.label: ex for ex in exercises}

    def gradable(ex: Exercise) -> bool:
        return ex.label in GRADED if ex.kind == "coding" else ex.label in rubrics

    if labels:
        unknown = [label for label in labels if label not in by_label]
        if unknown:
            raise ValueError(f"unknown exercise label(s): {', '.join(unknown)}; the labels are "
                             "listed on the book's page For instructors")
        ungradable = [label for label in labels if not gradable(by_label[label])]
        if ungradable:
            raise ValueError(f"no tests or rubric for: {', '.join(ungradable)} (a coding exercise "
                             "needs an entry in nnscratch.checks.grading.EXERCISES, a written one "
                             "a rubric in book/rubrics.yml)")
        order = [ex.label for ex in exercises]
        return {"assignment": sorted((by_label[label] for label in dict.fromkeys(labels)),
                                     key=lambda ex: order.index(ex.label))}
    stems = list(dict.fromkeys(ex.chapter for ex in exercises))
    if chapters:
        unknown = [c for c in chapters if c not in stems]
        if unknown:
            raise ValueError(f"no chapter with exercises named: {', '.join(unknown)}; "
                             f"choose from {', '.join(stems)}")
        stems = [s for s in stems if s in chapters]
    chosen = {}
    for stem in stems:
        picked = [ex for ex in exercises if ex.chapter == stem and gradable(ex)]
        skipped = [ex.label for ex in exercises if ex.chapter == stem and not gradable(ex)]
        if skipped:
            print(f"assignments: {stem}: left out (no tests or rubric): {', '.join(skipped)}")
        if picked:
            chosen[stem] = picked
    return chosen


def build(name: str, exercises: list[Exercise], out: Path, *, run_tests: bool = True,
          repo: Path = REPO) -> Path:
    """Write the master notebook of one assignment and run ``otter assign``; return its folder."""
    folder = out / name
    if folder.exists():
        shutil.rmtree(folder)
    master = folder / "master"
    master.mkdir(parents=True)
    notebook = master_notebook(name, exercises, exercise_numbers(repo), load_rubrics())
    if not run_tests:
        notebook.cells[0].source = notebook.cells[0].source.replace("run_tests: true",
                                                                    "run_tests: false")
    nbformat.write(notebook, master / f"{name}.ipynb")
    (master / "requirements.txt").write_text("\n".join(_pins(repo)) + "\n", encoding="utf8")
    shutil.copytree(repo / "code" / "nnscratch", master / "nnscratch", ignore=IGNORE)
    otter = Path(sys.executable).with_name("otter")
    command = [str(otter), "assign", f"{name}.ipynb", str(folder / "dist")]
    print(f"assignments: {name}: {len(exercises)} exercises; running otter assign", flush=True)
    done = subprocess.run(command, cwd=master, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise RuntimeError(f"otter assign failed for {name} (exit {done.returncode}); its output "
                           "is above")
    zips = sorted((folder / "dist" / "autograder").glob("*.zip"))
    student = folder / "dist" / "student" / f"{name}.ipynb"
    print(f"assignments: {name}: student notebook {student.relative_to(out.parent)}; "
          f"autograder {zips[-1].relative_to(out.parent) if zips else '(none)'}")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exercises", default="", help="labels, separated by spaces or commas")
    parser.add_argument("--chapters", default="", help="chapter stems, e.g. 'sigmoid softmax'")
    parser.add_argument("--name", default="", help="the assignment's name (with --exercises)")
    parser.add_argument("--out", type=Path, default=REPO / "assignments")
    parser.add_argument("--no-run-tests", action="store_true",
                        help="do not run the tests on the solutions (faster)")
    parser.add_argument("--cache", type=Path, default=REPO / "_build" / ".jupyter_cache",
                        help="a book build's execution cache, for the numbers the exercises "
                             "quote (a chapter it holds no run of is executed here)")
    args = parser.parse_args(argv)
    global GLUE_CACHE
    GLUE_CACHE = args.cache
    labels = [w for w in re.split(r"[\s,]+", args.exercises) if w] or None
    chapters = [w for w in re.split(r"[\s,]+", args.chapters) if w] or None
    try:
        chosen = choose(all_exercises(), labels, chapters, load_rubrics())
    except ValueError as err:
        print(f"assignments: {err}", file=sys.stderr)
        return 2
    if labels and args.name:
        chosen = {args.name: chosen["assignment"]}
    if not re.fullmatch(r"[\w.-]+", "".join(chosen) or "x"):
        print("assignments: a name may hold letters, digits, '.', '-' and '_' only", file=sys.stderr)
        return 2
    for name, exercises in chosen.items():
        build(name, exercises, args.out.resolve(), run_tests=not args.no_run_tests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
