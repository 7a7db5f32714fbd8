"""Assignments and grading: build a small Otter assignment and grade a folder of submissions.

One module-scoped run (fixture ``graded``) builds an assignment of three exercises with
tools/assignments.py (otter assign, which also runs the tests on the book's solutions), makes a
submission of each kind from its student notebook, and grades the folder with tools/grade.py,
with a short time limit and a small memory limit. The tests then read grades.csv and the
feedback files. The rubric tests read book/rubrics.yml against the chapters.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "book" / "_ext"))

EXERCISES = ["sigmoid-ex-my-sigmoid", "softmax-ex-my-softmax", "backprop-ex-my-backward"]
TIMEOUT = 3.0          # seconds per cell and per test case: the looping submission costs 4 of them
MEMORY = 1024          # MiB of address space per kernel

SIGMOID = '''def my_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

nn.check_sigmoid(my_sigmoid)'''
SOFTMAX = '''def my_softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

nn.check_softmax(my_softmax)'''
BACKWARD = '''def my_backward(params, acts, dlogits):
    L = len(params) // 2
    grads, dz = {}, np.atleast_2d(dlogits)        # one sample becomes a batch of one
    for l in range(L, 0, -1):
        a_in = np.atleast_2d(acts[l - 1])
        grads[f"W{l}"], grads[f"b{l}"] = a_in.T @ dz, dz.sum(axis=0)
        if l > 1:
            dz = (dz @ params[f"W{l}"].T) * a_in * (1.0 - a_in)
    return {k: grads[k] for k in params}

nn.check_backward(my_backward)'''
RIGHT = {"my_sigmoid": SIGMOID, "my_softmax": SOFTMAX, "my_backward": BACKWARD}

NAIVE_SIGMOID = "def my_sigmoid(z):\n    return 1.0 / (1.0 + np.exp(-z))\n\nnn.check_sigmoid(my_sigmoid)"
GLOBAL_MAX = ("def my_softmax(z):\n    e = np.exp(z - np.max(z))\n"
              "    return e / np.sum(e, axis=-1, keepdims=True)\n\nnn.check_softmax(my_softmax)")
NO_SIGMOID_PRIME = BACKWARD.replace(" * a_in * (1.0 - a_in)", "")
TRANSPOSED = BACKWARD.replace('params[f"W{l}"].T', 'params[f"W{l}"]')     # fits square layers only


def _student_notebook(folder: Path) -> nbformat.NotebookNode:
    return nbformat.read(folder / "dist" / "student" / "grading-test.ipynb", as_version=4)


def _answer(notebook: nbformat.NotebookNode, answers: dict[str, str | None]) -> nbformat.NotebookNode:
    """A copy of the student notebook with the answer cells replaced (None deletes the cell)."""
    notebook = copy.deepcopy(notebook)
    cells = []
    for cell in notebook.cells:
        name = next((n for n in answers if cell.cell_type == "code" and f"def {n}(" in cell.source),
                    None)
        if name is None:
            cells.append(cell)
        elif answers[name] is not None:
            cell.source = answers[name]
            cells.append(cell)
    notebook.cells = cells
    return notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    import assignments
    import grade

    root = tmp_path_factory.mktemp("grading")
    start = time.perf_counter()
    chosen = assignments.choose(assignments.all_exercises(), EXERCISES, None,
                                assignments.load_rubrics())
    folder = assignments.build("grading-test", chosen["assignment"], root / "assignments")
    built = time.perf_counter() - start
    student = _student_notebook(folder)

    subs = root / "submissions"
    subs.mkdir()
    victim = subs / "correct.ipynb"
    tests = folder / "dist" / "autograder" / "tests"
    out = root / "grades"
    attack = "\n".join([
        "from pathlib import Path",
        f"for test in Path({str(tests)!r}).glob('*.py'):",
        "    test.write_text('from otter.test_files import test_case\\nname = test.stem\\n')",
        f"Path({str(victim)!r}).write_text('{{}}')",
        f"Path({str(subs / 'zz_planted.ipynb')!r}).write_text('{{}}')",
        f"Path({str(out)!r}).mkdir(parents=True, exist_ok=True)",
        f"Path({str(out / 'grades.csv')!r}).write_text('student,total\\nattacker,999\\n')",
        "def my_sigmoid(z):\n    return z",
    ])
    submissions = {
        "correct": RIGHT,
        "wrong_naive_sigmoid": {**RIGHT, "my_sigmoid": NAIVE_SIGMOID},
        "wrong_global_max": {**RIGHT, "my_softmax": GLOBAL_MAX},
        "wrong_no_sigmoid_prime": {**RIGHT, "my_backward": NO_SIGMOID_PRIME},
        "wrong_transposed_square": {**RIGHT, "my_backward": TRANSPOSED},
        "raises": {**RIGHT, "my_sigmoid": "def my_sigmoid(z):\n    raise ValueError('not today')"
                                          "\n\nnn.check_sigmoid(my_sigmoid)"},
        "loops": {**RIGHT, "my_sigmoid": "def my_sigmoid(z):\n    while True:\n        pass"
                                         "\n\nnn.check_sigmoid(my_sigmoid)"},
        "allocates": {**RIGHT, "my_softmax": "def my_softmax(z):\n    blocks = []\n"
                                             "    while True:\n        blocks.append(np.ones(10**7))"
                                             "\n\nnn.check_softmax(my_softmax)"},
        "a_overwrites": {**RIGHT, "my_sigmoid": attack},
        "copies_package": {**RIGHT, "my_sigmoid": "my_sigmoid = nn.sigmoid",
                           "my_softmax": "def my_softmax(z):\n    return nn.softmax(z)"},
        "cells_deleted": {**RIGHT, "my_softmax": None},
    }
    for name, answers in submissions.items():
        nbformat.write(_answer(student, answers), subs / f"{name}.ipynb")
    (subs / "not_a_notebook.ipynb").write_text("My answers are in the email.\n")
    before = {p.name: p.read_bytes() for p in [*subs.iterdir(), *tests.iterdir()]}

    start = time.perf_counter()
    rows = grade.grade_folder(folder, subs, out, timeout=TIMEOUT, memory_mib=MEMORY, log=print)
    seconds = time.perf_counter() - start
    print(f"test_grading: otter assign {built:.1f} s, grading {len(rows) - 1} files {seconds:.1f} s")
    with open(out / "grades.csv", newline="") as f:
        table = {row["student"]: row for row in csv.DictReader(f)}
    feedback = {p.stem: p.read_text() for p in (out / "feedback").glob("*.md")}
    print((out / "grades.csv").read_text())
    return {"folder": folder, "table": table, "feedback": feedback, "subs": subs, "tests": tests,
            "before": before, "out": out}


def _points(graded: dict, student: str) -> dict[str, float]:
    row = graded["table"][student]
    return {k: float(row[k]) for k in EXERCISES + ["total"]}


def test_assignment_files(graded):
    """The student notebook has the starters and public tests only; the zip has the hidden ones."""
    folder = graded["folder"]
    student = nbformat.read(folder / "dist" / "student" / "grading-test.ipynb", as_version=4)
    text = "\n".join(c.source for c in student.cells)
    assert "def my_sigmoid(z):" in text and "nn.check_sigmoid(my_sigmoid)" in text
    assert "np.where(z >= 0" not in text                  # the solution is not handed out
    public = (folder / "dist" / "student" / "tests" / "sigmoid-ex-my-sigmoid.py").read_text()
    assert "hidden=True" not in public and "require('sigmoid-ex-my-sigmoid'" in public
    (zipped,) = (folder / "dist" / "autograder").glob("*.zip")
    with zipfile.ZipFile(zipped) as z:
        names = z.namelist()
        hidden = z.read("tests/backprop-ex-my-backward.py").decode()
    assert "files/nnscratch/checks/grading.py" in names and "setup.sh" in names
    assert "hidden=True" in hidden and "test_square_layers" in hidden


def test_correct_gets_full_marks(graded):
    possible = _points(graded, "(points possible)")
    assert possible["total"] > 0
    assert _points(graded, "correct") == possible
    assert graded["table"]["correct"]["status"] == "graded"
    assert "FAILED" not in graded["feedback"]["correct"]


@pytest.mark.parametrize("student, exercise, named", [
    ("wrong_naive_sigmoid", "sigmoid-ex-my-sigmoid", "overflow"),
    ("wrong_global_max", "softmax-ex-my-softmax", "one max over the whole batch"),
    ("wrong_no_sigmoid_prime", "backprop-ex-my-backward", "forgot the sigmoid's derivative"),
    ("wrong_transposed_square", "backprop-ex-my-backward", "square layers"),
])
def test_classic_wrong_answer_fails_that_exercise(graded, student, exercise, named):
    got, possible = _points(graded, student), _points(graded, "(points possible)")
    assert got[exercise] < possible[exercise]
    assert all(got[e] == possible[e] for e in EXERCISES if e != exercise)
    feedback = graded["feedback"][student]
    section = feedback.split(f"`{exercise}`")[1].split("\n## ")[0]
    assert "FAILED" in section and named in section and "Where to look: See" in section


def test_raising_and_looping_and_allocating_cost_only_their_exercise(graded):
    possible = _points(graded, "(points possible)")
    for student, exercise, why in [("raises", "sigmoid-ex-my-sigmoid", "ValueError: not today"),
                                   ("loops", "sigmoid-ex-my-sigmoid", "ran longer than 3 s"),
                                   ("allocates", "softmax-ex-my-softmax", "MemoryError")]:
        got = _points(graded, student)
        assert got[exercise] == 0, student
        assert all(got[e] == possible[e] for e in EXERCISES if e != exercise), student
        assert why in graded["feedback"][student], student
    assert "memory limit (1024 MiB)" in graded["feedback"]["allocates"]


def test_copy_of_the_package_scores_nothing_and_says_why(graded):
    got, possible = _points(graded, "copies_package"), _points(graded, "(points possible)")
    assert got["sigmoid-ex-my-sigmoid"] == 0 and got["softmax-ex-my-softmax"] == 0
    assert got["backprop-ex-my-backward"] == possible["backprop-ex-my-backward"]
    feedback = graded["feedback"]["copies_package"]
    assert "is the package's own nn.sigmoid" in feedback
    assert "calls the package's own nn.softmax" in feedback


def test_deleted_cell_costs_its_exercise(graded):
    got, possible = _points(graded, "cells_deleted"), _points(graded, "(points possible)")
    assert got["softmax-ex-my-softmax"] == 0 and got["sigmoid-ex-my-sigmoid"] == possible[
        "sigmoid-ex-my-sigmoid"]
    assert "is not defined (was its cell deleted" in graded["feedback"]["cells_deleted"]


def test_not_a_notebook_is_a_clear_error_and_the_rest_is_graded(graded):
    row = graded["table"]["not_a_notebook"]
    assert "not a Jupyter notebook" in row["status"] and float(row["total"]) == 0
    assert "Submit the .ipynb file" in graded["feedback"]["not_a_notebook"]
    assert len(graded["table"]) == 1 + 12             # the points possible, then every student


def test_a_submission_cannot_overwrite_tests_submissions_or_gradebook(graded):
    """The attacker ran first (its name sorts first) and wrote over the tests, the correct
    submission and grades.csv; everything was restored and every grade is its own."""
    after = {p.name: p.read_bytes() for p in [*graded["subs"].iterdir(), *graded["tests"].iterdir()]
             if p.name in graded["before"]}
    assert after == graded["before"]
    assert _points(graded, "correct") == _points(graded, "(points possible)")
    assert _points(graded, "a_overwrites")["sigmoid-ex-my-sigmoid"] == 0
    assert "attacker" not in (graded["out"] / "grades.csv").read_text()
    note = graded["feedback"]["a_overwrites"]
    assert "tried to change files" in note and "correct.ipynb (restored)" in note
    assert "zz_planted.ipynb (not graded" in note and "zz_planted" not in graded["table"]


def test_make_grade_without_submissions_says_what_to_do():
    import subprocess

    done = subprocess.run(["make", "-s", "grade", "VENV=" + str(Path(sys.executable).parent.parent)],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode != 0 and "SUBMISSIONS=folder" in done.stdout + done.stderr


def test_unknown_exercise_is_a_clear_error():
    import assignments

    with pytest.raises(ValueError, match="unknown exercise label"):
        assignments.choose(assignments.all_exercises(), ["sigmoid-ex-no-such"], None,
                           assignments.load_rubrics())


# ---------------------------------------------------------------------------------------------
# rubrics


def _written() -> dict[str, object]:
    import assignments

    return {ex.label: ex for ex in assignments.all_exercises() if ex.kind != "coding"}


def test_every_written_exercise_has_a_rubric_that_adds_up():
    import rubrics

    data = rubrics.load(REPO)
    written = _written()
    assert written and sorted(data["written"]) == sorted(written)
    for label, entry in data["written"].items():
        assert entry["points"] == sum(i["points"] for i in entry["rubric"]), label
        assert entry["minutes"] > 0 and all(i["for"].strip() for i in entry["rubric"]), label


def test_no_rubric_or_time_names_an_unknown_exercise():
    import assignments
    import rubrics
    from nnscratch.checks.grading import EXERCISES as GRADED

    data = rubrics.load(REPO)
    labels = {ex.label for ex in assignments.all_exercises()}
    assert set(data["written"]) <= labels and set(data["coding"]) <= labels
    assert set(GRADED) <= labels and set(data["coding"]) == set(GRADED)
    hidden = {p.stem for p in (REPO / "tools" / "hidden_tests").glob("*.py")}
    assert hidden <= set(GRADED)


def test_rubric_goes_inside_its_solution():
    import rubrics
    from nnscratch.exercises import read_directives

    text = (REPO / "book" / "training.md").read_text(encoding="utf8")
    out = rubrics.add_rubrics(text, rubrics.load(REPO)["written"])
    (solution,) = [d for d in read_directives(out, ("solution",))
                   if d.arg.strip() == "training-ex-overshoot"]
    assert "**Rubric (6 points).**" in solution.body and "alpha A > 1" in solution.body
    assert out.count("**Rubric (") == sum(1 for d in read_directives(text, ("exercise",))
                                          if d.options.get("label") in _written())


def test_every_exercise_has_a_level_and_minutes():
    import assignments
    import rubrics

    known = rubrics.entries(REPO)
    labels = [ex.label for ex in assignments.all_exercises()]
    assert labels
    missing = [label for label in labels if label not in known]
    assert not missing, f"no entry in book/rubrics.yml for {missing}"
    for label in labels:
        entry = known[label]
        assert entry.get("level") in rubrics.LEVELS, (label, entry.get("level"))
        assert isinstance(entry.get("minutes"), int) and entry["minutes"] > 0, label


def test_level_line_opens_every_exercise_and_leaves_code_alone():
    import assignments
    import rubrics
    from nnscratch.exercises import book_chapters, read_directives

    known = rubrics.entries(REPO)
    for chapter in book_chapters(REPO):
        if chapter.suffix != ".md" or not chapter.exists():
            continue
        text = chapter.read_text(encoding="utf8")
        out = rubrics.add_levels(text, known)
        for d in read_directives(out, ("exercise",)):
            entry = known[d.options["label"]]
            first = d.body.strip().split("\n")[0]
            assert first == f"*{rubrics.level_text(entry)}*", (chapter.stem, first)
        cells = lambda t: [d.body for d in read_directives(t, ("code-cell",))]  # noqa: E731
        assert cells(out) == cells(text), chapter.stem           # the execution cache holds
    assert rubrics.level_text({"level": "warm-up", "minutes": 15}) == "Warm-up · about 15 minutes"
    with pytest.raises(ValueError, match="warm-up, core, challenge, experiment"):
        rubrics.level_text({"level": "hard", "minutes": 15})
    placeholder = ":::{exercise}\n:label: sigmoid-ex-symmetry\n\n*Not part of this assignment.*\n:::"
    assert rubrics.add_levels(placeholder, known) == placeholder


def test_levels_shown_on_the_built_pages(built_book):
    page = (built_book / "book" / "backprop.html").read_text(encoding="utf8")
    assert '<p class="exercise-level"><em>Core · about 45 minutes</em></p>' in page
    instructors = (built_book / "book" / "instructors.html").read_text(encoding="utf8")
    assert "<th" in instructors and "level" in instructors and "challenge" in instructors


def test_the_instructors_rubric_table_shows_each_item_as_written(built_book):
    # A pipe inside a rubric (|z|, ||x||^2) is part of the item, not a border of the table.
    instructors = (built_book / "book" / "instructors.html").read_text(encoding="utf8")
    assert "saturated (|z| &gt; 4.6)" in instructors, "the rubric's |z| lost its pipes"
    assert "/z/" not in instructors and "||x||^2 is the same for every class" in instructors


def test_rubrics_shown_in_the_full_edition(built_book):
    page = (built_book / "book" / "training.html").read_text(encoding="utf8")
    assert "Rubric (6 points)" in page
    instructors = (built_book / "book" / "instructors.html").read_text(encoding="utf8")
    assert "training-ex-overshoot" in instructors and "H &gt;= 797" in instructors


# ---------------------------------------------------------------------------------------------
# subsets for the handouts and the student edition (the list make assignments takes)


def test_handouts_of_a_subset(tmp_path):
    import editions

    keep = editions.parse_exercises("sigmoid-ex-my-sigmoid, softmax-ex-jacobian-rank", REPO)
    written = editions.write_handouts(REPO, tmp_path, keep)
    assert sorted(p.name for p in written) == ["sigmoid.ipynb", "softmax.ipynb"]
    text = "\n".join(c.source for c in nbformat.read(tmp_path / "sigmoid.ipynb", 4).cells)
    assert "`sigmoid-ex-my-sigmoid`" in text and "def my_sigmoid(z):" in text
    assert "`sigmoid-ex-symmetry`" not in text and "my_sigmoid_prime" not in text
    with pytest.raises(SystemExit, match="unknown exercise label"):
        editions.parse_exercises("sigmoid-ex-nope", REPO)


def test_student_edition_of_a_subset_keeps_numbers_and_labels(tmp_path):
    import editions
    from nnscratch.exercises import read_exercises

    keep = {"sigmoid-ex-my-sigmoid"}
    staging = editions.stage_student_sources(REPO, tmp_path / "src", None, keep)
    full = read_exercises(REPO / "book" / "sigmoid.md")
    subset = read_exercises(staging / "book" / "sigmoid.md")
    assert [ex.label for ex in subset] == [ex.label for ex in full]      # same numbering
    for ex in subset:
        assert ex.solution is None
        assert (editions.NOT_ASSIGNED in ex.text) == (ex.label not in keep)
