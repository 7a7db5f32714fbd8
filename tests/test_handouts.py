"""The handout notebooks (`make handouts`): one per chapter with exercises, no solution text, each
exercise followed by its starter as a code cell, and every handout runs from top to bottom (the
unanswered starters included: their checks report "not answered yet", they do not fail).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import BOOK_BUILD_TIMEOUT, REPO_ROOT, book_env
from nnscratch.exercises import book_chapters, exercise_numbers, read_exercises
from solution_text import files_containing, solution_markers

sys.path.insert(0, str(REPO_ROOT / "book" / "_ext"))
from kernel_budget import recorded_wall_s  # noqa: E402

EXECUTION_TIMEOUT = 600  # seconds per cell, as generous as the book build's


@pytest.fixture(scope="session")
def handouts(tmp_path_factory: pytest.TempPathFactory, book_build) -> dict[str, Path]:
    """Write the handouts once, as `make handouts` does after a build (the glued values come
    from the session build's execution cache, so no chapter runs again); chapter -> path."""
    out = tmp_path_factory.mktemp("handouts")
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "editions.py"), "handouts",
                           "--out", str(out), "--cache",
                           str(book_build.html.parent / ".jupyter_cache")],
                          cwd=REPO_ROOT, check=True, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300)
    assert "executing" not in proc.stdout, f"a chapter ran again: {proc.stdout}"
    return {p.stem: p for p in sorted(out.glob("*.ipynb"))}


def chapters_with_exercises() -> dict[str, Path]:
    return {p.stem: p for p in book_chapters(REPO_ROOT)
            if p.suffix == ".md" and p.exists() and read_exercises(p)}


def test_one_handout_per_chapter_with_exercises(handouts: dict[str, Path]) -> None:
    assert set(handouts) == set(chapters_with_exercises())


def test_handouts_hold_no_solution_text(handouts: dict[str, Path]) -> None:
    markers = [m for ms in solution_markers(REPO_ROOT).values() for m in ms]
    folder = next(iter(handouts.values())).parent
    leaked = {m: files for m, files in files_containing(folder, markers).items() if files}
    assert not leaked, f"solution text in the handouts: {leaked}"
    for path in handouts.values():
        text = path.read_text(encoding="utf8")
        assert "{solution" not in text and "Solution to" not in text, path.name


def test_handouts_show_numbers_not_glue_roles(handouts: dict[str, Path]) -> None:
    """The prose shows what the page shows: glued numbers and figures, not MyST glue syntax."""
    for chapter, path in handouts.items():
        nb = nbformat.read(path, as_version=4)
        markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert not re.search(r"\{glue(:\w+)?\}|\{glue:figure\}|\{literalinclude\}", markdown), (
            f"{chapter}: raw glue or include syntax in the handout")
        source = chapters_with_exercises()[chapter].read_text(encoding="utf8")
        figures = len(re.findall(r"^[`:]{3,}\{glue:figure\}", source, re.MULTILINE))
        assert markdown.count('<img src="data:image/svg+xml;base64,') >= figures, chapter


def test_each_exercise_is_a_titled_cell_followed_by_its_starter(handouts: dict[str, Path]) -> None:
    numbers = exercise_numbers(REPO_ROOT)
    for chapter, source in chapters_with_exercises().items():
        nb = nbformat.read(handouts[chapter], as_version=4)
        assert nb.metadata.kernelspec.name == "python3"
        assert all(not c.outputs and c.execution_count is None
                   for c in nb.cells if c.cell_type == "code")
        for ex in read_exercises(source):
            title = f"**Exercise {numbers[ex.label]}**"
            where = [i for i, c in enumerate(nb.cells)
                     if c.cell_type == "markdown" and c.source.startswith(title)]
            assert len(where) == 1, f"{chapter}: {title} ({ex.label}) appears {len(where)} times"
            cell = nb.cells[where[0]]
            assert "```python" not in cell.source, f"{ex.label}: starter left in the text"
            if ex.starter:
                starter = nb.cells[where[0] + 1]
                assert starter.cell_type == "code", f"{ex.label}: no code cell after the exercise"
                assert starter.source.strip() == ex.starter.strip()


# Each handout runs in its own process (nbclient in threads leaves event loops behind), in a fresh
# kernel whose working folder is book/, as in the book build.
RUNNER = """
import sys, time, nbformat
from nbclient import NotebookClient
source, executed, cwd, timeout = sys.argv[1:5]
nb = nbformat.read(source, as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=int(timeout), kernel_name="python3",
               resources={"metadata": {"path": cwd}}).execute()
nbformat.write(nb, executed)
print(f"{time.perf_counter() - start:.0f}")
"""


# A handout is its chapter without the solutions, so running it whole runs the chapter's code a
# second time (the session's build ran it once, test_budget checks its fresh-kernel run). The
# IN_PART costliest chapters (one-thread wall time, book/budget.json; chosen by rank so that a
# re-measured budget moves none across a line) are run in part: their first code cell (imports
# and setup) and every starter cell, which is what a handout adds to the chapter. That keeps CI's
# minutes for what only this test checks.
IN_PART = 4
_BUDGET = recorded_wall_s()
STARTER = re.compile(r"^nn\.check_\w+\(", re.MULTILINE)


def _wall_s(chapter: str) -> float:
    return _BUDGET.get(chapter, float("inf"))


_COSTLIEST = set(sorted(chapters_with_exercises(), key=_wall_s, reverse=True)[:IN_PART])


def runs_whole(chapter: str) -> bool:
    return chapter not in _COSTLIEST


def setup_and_starters(path: Path, out: Path) -> Path:
    """The handout with only its first code cell and its starter cells (and the Markdown)."""
    nb = nbformat.read(path, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    keep = {code[0]} | {i for i in code if STARTER.search(nb.cells[i].source)}
    nb.cells = [c for i, c in enumerate(nb.cells) if c.cell_type != "code" or i in keep]
    nbformat.write(nb, out)
    return out


def test_the_costly_handouts_are_run_in_part_and_the_rest_whole() -> None:
    """The rule above runs most handouts whole, and each one it runs in part costs more than
    each one it runs whole."""
    chapters = chapters_with_exercises()
    whole = [c for c in chapters if runs_whole(c)]
    part = [c for c in chapters if not runs_whole(c)]
    assert len(whole) >= len(chapters) // 2 and "mnist" in whole and len(part) == IN_PART, whole
    assert min(map(_wall_s, part)) >= max(map(_wall_s, whole)), _BUDGET


@pytest.mark.book
@pytest.mark.timeout(2 * BOOK_BUILD_TIMEOUT)
def test_handouts_run_from_top_to_bottom(handouts: dict[str, Path], tmp_path: Path) -> None:
    """Run every handout in a fresh kernel (two at a time); no cell may fail or write stderr.
    The costliest chapters' handouts run their setup cell and their starters only (IN_PART)."""
    (tmp_path / "part").mkdir()
    queue = [(chapter, path if runs_whole(chapter) else
              setup_and_starters(path, tmp_path / "part" / path.name))
             for chapter, path in handouts.items()]
    start, running, results = time.perf_counter(), {}, {}
    while queue or running:
        while queue and len(running) < 2:
            chapter, path = queue.pop(0)
            executed, log = tmp_path / path.name, tmp_path / f"{chapter}.log"
            with log.open("w") as sink:                    # a file, not a pipe: never blocks
                running[chapter] = (executed, log, subprocess.Popen(
                    [sys.executable, "-c", RUNNER, str(path), str(executed),
                     str(REPO_ROOT / "book"), str(EXECUTION_TIMEOUT)],
                    # A student's kernel shows progress bars, on stderr by design; with them
                    # off, anything else on stderr (a warning, a traceback) fails the test.
                    env=dict(book_env(), NNSCRATCH_PROGRESS="0"), stdin=subprocess.DEVNULL,
                    stdout=sink, stderr=subprocess.STDOUT))
        time.sleep(0.5)
        for chapter, (executed, log, proc) in list(running.items()):
            if proc.poll() is None:
                continue
            del running[chapter]
            output = log.read_text()
            assert proc.returncode == 0, f"{chapter}: the handout failed to run:\n{output[-3000:]}"
            seconds = output.strip().splitlines()[-1]
            results[chapter] = (nbformat.read(executed, as_version=4), seconds)
    print(f"\nhandouts executed in {time.perf_counter() - start:.0f} s: "
          + ", ".join(f"{c} {s} s" + ("" if runs_whole(c) else " (setup and starters)")
                      for c, (_, s) in sorted(results.items())))
    for chapter, (nb, _) in results.items():
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                assert out.output_type != "error", f"{chapter}: {out.get('ename')}: {out.get('evalue')}"
                assert out.get("name") != "stderr", f"{chapter}: stderr {out.get('text', '')[:300]}"
        starters = [c for c in nb.cells if c.cell_type == "code" and STARTER.search(c.source)]
        coding = [ex for ex in read_exercises(chapters_with_exercises()[chapter])
                  if ex.kind == "coding"]
        assert len(starters) >= len(coding) > 0 or not coding and not starters, (
            f"{chapter}: {len(starters)} starter cells for {len(coding)} coding exercises")
        for cell in starters:
            shown = "".join(str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)
            assert "not answered yet" in shown, f"{chapter}: {cell.source!r} showed {shown!r}"


def test_assignment_notebooks_quote_numbers_not_glue_keys(book_build, monkeypatch) -> None:
    """`make assignments` writes an exercise's prose into the student notebook; the numbers it
    quotes from its chapter are the glued values (from the build's cache), not their keys."""
    sys.path.insert(0, str(REPO_ROOT / "tools"))
    import assignments

    monkeypatch.setattr(assignments, "GLUE_CACHE", book_build.html.parent / ".jupyter_cache")
    monkeypatch.setattr(assignments, "_GLUED", {})
    numbers = exercise_numbers(REPO_ROOT)
    quoting = [ex for ex in assignments.all_exercises() if "{glue" in ex.text]
    assert quoting, "no exercise quotes a glued number: nothing to check"
    for ex in quoting:
        text = assignments._prose(ex, numbers)
        keys = re.findall(r"\{glue(?::\w+)?\}`([^`:]+)", ex.text)
        assert "{glue" not in text and not [k for k in keys if k in text], (ex.label, text)
