"""Grade a folder of submitted notebooks here, without Docker: grades.csv and feedback per student.

    python tools/grade.py SUBMISSIONS [--assignment assignments/NAME] [--out grades] [--timeout 60] [--memory 2048]

The Makefile runs it (`make grade SUBMISSIONS=folder [ASSIGNMENT=assignments/<name>]`).
ASSIGNMENT is a folder made by tools/assignments.py (its dist/autograder/tests/ hold the public
and hidden tests) or a Gradescope autograder zip it made. Every file in SUBMISSIONS is a
submission (one student each, named by the file's stem); files starting with '.' are skipped.

It writes, into --out (default: a folder `grades` beside SUBMISSIONS):

- grades.csv: one row per student with each exercise's points, the total and a status
  ("graded", or what went wrong with the file), after a first row of the points possible;
- feedback/<student>.md: for each exercise, what passed and what failed (the check's or the
  hidden test's message) and where in the book to look, and the exercises graded by hand.

How a submission runs. All submissions and tests are read into memory before any submission
runs. Then each submission runs on its own: in a new temporary folder (its working directory,
HOME and IPYTHONDIR, removed afterwards), in its own Jupyter kernel started with an address-space
limit (RLIMIT_AS, --memory MiB) and one BLAS thread. Its code cells run one by one, each with a
time limit (--timeout seconds): a cell that runs over is interrupted (and if the kernel does not
answer, restarted), and the next cell runs. Then each test case of each exercise is sent to the
kernel, with the same time limit, and its verdict is read back from the kernel's output. Only
this process writes grades.csv and the feedback, after every submission has run. So a loop or
a runaway array costs its student the exercises it touches, not the class its grades; a
submission cannot change the tests or another submission being graded (they are already in
memory), and whatever it writes into the grades folder is overwritten.

This is not a sandbox: the students' code runs with your rights and can read and write any
file you can. Grade untrusted submissions on Gradescope, or with Otter's Docker mode
(`otter grade`), which isolate each one.

The tests are Otter's exception-based test files; their points are read with Otter's own parser.
The kernel runs each test function the way Otter does (its parameters are looked up by name
in the notebook's globals; it passes unless it raises), without importing Otter in the kernel.
Cells that only drive Otter in the student notebook (``grader = otter.Notebook(...)``,
``grader.check(...)``) are skipped.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "code"))
from nnscratch.exercises import exercise_numbers  # noqa: E402

INTERRUPT_GRACE = 5.0          # seconds a kernel has to answer an interrupt before a restart
OTTER_LINE = re.compile(r"^\s*(grader\s*=\s*otter\.Notebook\(.*\)|import otter|"
                        r"grader\.(check|check_all|export)\(.*\))\s*(#.*)?$")

#: Runs one test case in the student's kernel, as Otter's ExceptionTestFile does, and prints
#: its verdict as one JSON line after a marker the student's code cannot know in advance.
KERNEL_CASE = """\
def _nnscratch_grade_case(source, index, marker, env):
    import inspect, json
    class test_case:
        def __init__(self, name=None, points=None, hidden=False, success_message=None,
                     failure_message=None):
            self.name, self.hidden = name, hidden
        def __call__(self, func):
            self.func = func
            return self
    namespace = {}
    exec(compile(source, "test", "exec"), {"test_case": test_case, "__name__": "test"}, namespace)
    case = [v for v in namespace.values() if isinstance(v, test_case)][index]
    params = inspect.signature(case.func).parameters
    verdict = {"passed": True, "error": ""}
    try:
        case.func(**{p: env if p == "env" else env.get(p) for p in params})
    except Exception as err:
        verdict = {"passed": False, "error": f"{type(err).__name__}: {err}"}
    print(marker + json.dumps(verdict), flush=True)
_nnscratch_grade_case(%(source)r, %(index)d, %(marker)r, globals())
del _nnscratch_grade_case
"""


@dataclass
class Case:
    name: str
    points: float
    hidden: bool
    doc: str


@dataclass
class Question:
    name: str
    source: str                      # the test file, the import of Otter's test_case removed
    cases: list[Case]

    @property
    def possible(self) -> float:
        return sum(c.points for c in self.cases)


@dataclass
class Outcome:
    """What one submission got: per exercise, per test case (passed, message); and notes."""
    status: str = "graded"
    cases: dict[str, list[tuple[bool, str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def score(self, q: Question) -> float:
        got = self.cases.get(q.name, [])
        return sum(c.points for c, (ok, _) in zip(q.cases, got) if ok)


# ---------------------------------------------------------------------------------------------
# reading the assignment


def _test_files(assignment: Path) -> dict[str, str]:
    """{file name: text} of the autograder's tests, from a folder or an autograder zip."""
    if assignment.is_file() and assignment.suffix == ".zip":
        with zipfile.ZipFile(assignment) as z:
            return {Path(n).name: z.read(n).decode("utf8") for n in z.namelist()
                    if n.startswith("tests/") and n.endswith(".py")}
    folder = assignment / "dist" / "autograder" / "tests"
    if not folder.is_dir():
        raise FileNotFoundError(f"{assignment} holds no dist/autograder/tests: make it with "
                                "`make assignments` (tools/assignments.py), or name the "
                                "autograder zip")
    return {p.name: p.read_text(encoding="utf8") for p in sorted(folder.glob("*.py"))}


def _manual_questions(assignment: Path) -> list[tuple[str, str]]:
    """(name, points) of the questions graded by hand, from the master notebook, if present."""
    found = []
    for master in sorted((assignment / "master").glob("*.ipynb")) if assignment.is_dir() else []:
        for cell in nbformat.read(master, as_version=4).cells:
            text = cell.source
            if cell.cell_type == "raw" and text.startswith("# BEGIN QUESTION") and "manual: true" in text:
                name = re.search(r"^name:\s*(\S+)", text, re.M).group(1)
                points = re.search(r"^points:\s*(\S+)", text, re.M)
                found.append((name, points.group(1) if points else "?"))
    return found


def read_assignment(assignment: Path, repo: Path = REPO) -> list[Question]:
    """The assignment's questions with their test cases and points, in the book's order."""
    with warnings.catch_warnings():  # otter 7.0.0's import of ipylab warns (traitlets types)
        warnings.simplefilter("ignore", DeprecationWarning)
        from otter.test_files import ExceptionTestFile  # Otter's parser gives the points

    numbers = exercise_numbers(repo)
    questions = []
    for name, text in _test_files(assignment).items():
        parsed = ExceptionTestFile.from_string(text, path=name)
        namespace: dict = {}
        exec(compile(text, name, "exec"), namespace)
        funcs = [v.test_func for v in namespace.values() if type(v).__name__ == "test_case"]
        cases = [Case(tc.name, float(tc.points), bool(tc.hidden),
                      (f.__doc__ or f.__name__).strip().split("\n")[0])
                 for tc, f in zip(parsed.test_cases, funcs)]
        source = text.replace("from otter.test_files import test_case", "", 1)
        questions.append(Question(parsed.name, source, cases))
    if not questions:
        raise ValueError(f"{assignment} has no tests")

    def order(q: Question) -> tuple:
        number = numbers.get(q.name, "")
        return tuple(int(p) if p.isdigit() else 0 for p in number.split(".")) or (999,), q.name

    return sorted(questions, key=order)


# ---------------------------------------------------------------------------------------------
# running one submission


def _limits(memory_mib: int):
    def apply() -> None:  # runs in the kernel's process, before it starts
        limit = memory_mib * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


class Kernel:
    """A Jupyter kernel in its own folder with a memory limit; runs code with a time limit."""

    def __init__(self, folder: Path, memory_mib: int, timeout: float):
        from jupyter_client import KernelManager

        self.folder, self.memory, self.timeout = folder, memory_mib, timeout
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "JUPYTER_"))}
        self.env.update(HOME=str(folder), IPYTHONDIR=str(folder / ".ipython"), MPLBACKEND="Agg",
                        OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                        NNSCRATCH_PROGRESS="0", PYTHONDONTWRITEBYTECODE="1")
        self.manager = KernelManager(kernel_name="python3")
        self.restarts = 0
        self._start()

    def _start(self) -> None:
        self.manager.start_kernel(cwd=str(self.folder), env=self.env,
                                  preexec_fn=_limits(self.memory),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def restart(self) -> None:
        self.restarts += 1
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
        self._start()

    def run(self, code: str) -> tuple[str, str, str]:
        """Run ``code``; return (status, stdout, error): status 'ok', 'error', 'timeout' or 'died'."""
        msg_id = self.client.execute(code, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + self.timeout
        out, error = io.StringIO(), ""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._interrupt()
                return "timeout", out.getvalue(), error
            try:
                msg = self.client.get_iopub_msg(timeout=min(left, 1.0))
            except Exception:  # queue.Empty: nothing yet
                if not self.manager.is_alive():
                    self.restart()
                    return "died", out.getvalue(), error
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content.get("name") == "stdout":
                out.write(content.get("text", ""))
            elif kind == "error":
                error = f"{content.get('ename')}: {content.get('evalue')}"
            elif kind == "status" and content.get("execution_state") == "idle":
                return ("error" if error else "ok"), out.getvalue(), error

    def _interrupt(self) -> None:
        """Interrupt the running code; restart the kernel if it does not come back."""
        self.manager.interrupt_kernel()
        try:
            reply = self.client.execute("pass", store_history=False)
            deadline = time.monotonic() + INTERRUPT_GRACE
            while time.monotonic() < deadline:
                msg = self.client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
                if (msg.get("parent_header", {}).get("msg_id") == reply
                        and msg["msg_type"] == "status"
                        and msg["content"].get("execution_state") == "idle"):
                    return
        except Exception:
            pass
        self.restart()

    def close(self) -> None:
        try:
            self.client.stop_channels()
            self.manager.shutdown_kernel(now=True)
        except Exception:
            pass


def grade_one(notebook: nbformat.NotebookNode, questions: list[Question], *, timeout: float,
              memory_mib: int, workdir: Path | None = None) -> Outcome:
    """Run one submitted notebook in a fresh kernel and folder, then every test case."""
    outcome = Outcome()
    folder = Path(tempfile.mkdtemp(prefix="nnscratch-grade-", dir=workdir))
    kernel = None
    try:
        nbformat.write(notebook, folder / "submission.ipynb")
        kernel = Kernel(folder, memory_mib, timeout)
        for number, cell in enumerate(notebook.cells, start=1):
            if cell.cell_type != "code":
                continue
            source = "\n".join(line for line in cell.source.split("\n")
                               if not OTTER_LINE.match(line))
            if not source.strip():
                continue
            status, _, error = kernel.run(source)
            if status == "timeout":
                outcome.notes.append(f"Code cell {number} ran longer than {timeout:g} s and was "
                                     "stopped.")
            elif status == "died":
                outcome.notes.append(f"Code cell {number} made the kernel die (out of memory?); "
                                     "a new kernel ran the rest, without what came before.")
            elif status == "error" and "MemoryError" in error:
                outcome.notes.append(f"Code cell {number} ran out of memory (the limit is "
                                     f"{memory_mib} MiB) and was stopped.")
        for q in questions:
            results = []
            for index, case in enumerate(q.cases):
                marker = f"@@nnscratch-{secrets.token_hex(8)}@@"
                status, out, error = kernel.run(KERNEL_CASE % {
                    "source": q.source, "index": index, "marker": marker})
                line = next((l for l in out.splitlines() if l.startswith(marker)), None)
                if status == "timeout":
                    results.append((False, f"Stopped: it ran longer than {timeout:g} s (an "
                                           "endless loop?)."))
                elif status == "died":
                    results.append((False, "The kernel died while this test ran (out of "
                                           "memory?)."))
                elif line is None:
                    results.append((False, f"The test could not run ({error or 'no verdict'})."))
                else:
                    verdict = json.loads(line[len(marker):])
                    message = verdict["error"]
                    if message.startswith("MemoryError"):
                        message = (f"MemoryError: it needed more than the memory limit "
                                   f"({memory_mib} MiB).")
                    results.append((bool(verdict["passed"]), message))
            outcome.cases[q.name] = results
        if kernel.restarts:
            outcome.notes.append(f"The kernel was restarted {kernel.restarts} time(s).")
    finally:
        if kernel is not None:
            kernel.close()
        shutil.rmtree(folder, ignore_errors=True)
    return outcome


# ---------------------------------------------------------------------------------------------
# the gradebook


def read_submissions(folder: Path) -> dict[str, tuple[str, bytes]]:
    """{student: (file name, bytes)} for every file in ``folder``, read now, before any runs."""
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder of submissions at {folder}")
    found: dict[str, tuple[str, bytes]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        student = re.sub(r"[^\w.-]", "_", path.stem) or "submission"
        while student in found:
            student += "_"
        found[student] = (path.name, path.read_bytes())
    return found


def parse_notebook(data: bytes, name: str) -> nbformat.NotebookNode:
    """The submission as a notebook, or a ValueError that says what is wrong with the file."""
    try:
        notebook = nbformat.reads(data.decode("utf8"), as_version=4)
        nbformat.validate(notebook)
    except Exception as err:
        raise ValueError(f"{name} is not a Jupyter notebook that can be read "
                         f"({type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}). "
                         "Submit the .ipynb file saved from Jupyter (File > Save), not a copy "
                         "or an export.") from None
    if notebook.metadata.get("kernelspec", {}).get("language", "python") != "python":
        raise ValueError(f"{name} is not a Python notebook")
    return notebook


class Guard:
    """The files a submission must not change, snapshotted; changes are undone and reported.

    Submissions run with the instructor's rights, so nothing stops one from writing over a file
    it can name. What this guarantees is that it does not last: after each submission the guard
    compares every guarded file with its snapshot, writes back what was changed or deleted, and
    says which submission did it (they run one at a time). Files a submission added are reported.
    """

    def __init__(self, folders: list[Path]):
        self.folders = [f for f in folders if f.exists()]
        self.reported: set[Path] = set()
        self.files = {p: p.read_bytes() for f in self.folders
                      for p in ([f] if f.is_file() else sorted(f.rglob("*"))) if p.is_file()}

    def restore(self) -> list[str]:
        """Undo every change since the snapshot; return what was undone."""
        undone = []
        for path, data in self.files.items():
            try:
                same = path.is_file() and path.read_bytes() == data
            except OSError:
                same = False
            if not same:
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.is_dir():
                    shutil.rmtree(path)
                path.write_bytes(data)
                undone.append(f"changed or removed {path} (restored)")
        for folder in self.folders:
            if folder.is_dir():
                for path in sorted(folder.rglob("*")):
                    if path.is_file() and path not in self.files and path not in self.reported:
                        self.reported.add(path)
                        undone.append(f"added {path} (not graded; remove it)")
        return undone


def _fmt(points: float) -> str:
    return f"{points:g}"


def feedback(student: str, file: str, questions: list[Question], outcome: Outcome,
             manual: list[tuple[str, str]], numbers: dict[str, str]) -> str:
    """The feedback file of one student (markdown)."""
    from nnscratch.checks.grading import EXERCISES, hint

    total = sum(outcome.score(q) for q in questions)
    possible = sum(q.possible for q in questions)
    lines = [f"# Feedback for {student}", "", f"Submission: `{file}`", ""]
    if outcome.status != "graded":
        lines += [f"**Not graded:** {outcome.status}", ""]
    lines += [f"Automatically graded: **{_fmt(total)} / {_fmt(possible)}** points.", ""]
    for note in outcome.notes:
        lines.append(f"- {note}")
    if outcome.notes:
        lines.append("")
    for q in questions:
        number = numbers.get(q.name, "")
        lines += [f"## Exercise {number} `{q.name}`: {_fmt(outcome.score(q))} / "
                  f"{_fmt(q.possible)}", ""]
        results = outcome.cases.get(q.name, [])
        for case, (ok, message) in zip(q.cases, results or [(False, "")] * len(q.cases)):
            kind = "hidden test" if case.hidden else "the book's check"
            mark = "passed" if ok else "FAILED"
            lines.append(f"- {mark} ({_fmt(case.points)} pt, {kind}): {case.doc}")
            if not ok and message:
                lines += ["", "  ```text", *[f"  {l}" for l in message.strip().splitlines()],
                          "  ```", ""]
        if results and not all(ok for ok, _ in results) and q.name in EXERCISES:
            lines += ["", f"Where to look: {hint(q.name)}"]
        lines.append("")
    if manual:
        lines += ["## Graded by hand", ""]
        lines += [f"- Exercise {numbers.get(n, '')} `{n}` ({p} points): graded with the rubric "
                  "on the book's page For instructors." for n, p in manual]
        lines.append("")
    return "\n".join(lines)


def grade_folder(assignment: Path, submissions: Path, out: Path, *, timeout: float = 60.0,
                 memory_mib: int = 2048, repo: Path = REPO, log=print) -> list[dict]:
    """Grade every file in ``submissions``; write out/grades.csv and out/feedback/; return rows."""
    questions = read_assignment(assignment, repo)
    manual = _manual_questions(assignment)
    numbers = exercise_numbers(repo)
    files = read_submissions(submissions)
    from nnscratch.checks.grading import same_code_as_package  # noqa: F401  (import check)

    outcomes: dict[str, tuple[str, Outcome]] = {}
    import nnscratch  # the package every kernel imports: a submission must not rewrite its checks
    guarded = [submissions, assignment, out / "grades.csv", out / "feedback",
               Path(nnscratch.__file__).resolve().parent]
    guard = Guard(guarded)
    with tempfile.TemporaryDirectory(prefix="nnscratch-grading-") as work:
        for student, (name, data) in files.items():
            start = time.perf_counter()
            try:
                notebook = parse_notebook(data, name)
            except ValueError as err:
                outcome = Outcome(status=str(err))
                log(f"grade: {student}: ERROR {err}")
            else:
                outcome = grade_one(notebook, questions, timeout=timeout, memory_mib=memory_mib,
                                    workdir=Path(work))
                undone = guard.restore()
                if undone:
                    outcome.notes.append("This submission tried to change files it must not "
                                         "touch: " + "; ".join(undone) + ".")
                    log(f"grade: {student}: WARNING it " + "; ".join(undone))
                log(f"grade: {student}: {_fmt(sum(outcome.score(q) for q in questions))} / "
                    f"{_fmt(sum(q.possible for q in questions))} "
                    f"({time.perf_counter() - start:.1f} s)")
            outcomes[student] = (name, outcome)

    out.mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    header = ["student"] + [q.name for q in questions] + ["total", "status"]
    rows = [dict(zip(header, ["(points possible)"] + [_fmt(q.possible) for q in questions]
                     + [_fmt(sum(q.possible for q in questions)), ""]))]
    for student, (name, outcome) in outcomes.items():
        row = {"student": student, "status": outcome.status}
        for q in questions:
            row[q.name] = _fmt(outcome.score(q))
        row["total"] = _fmt(sum(outcome.score(q) for q in questions))
        rows.append(row)
        (out / "feedback" / f"{student}.md").write_text(
            feedback(student, name, questions, outcome, manual, numbers), encoding="utf8")
    with open(out / "grades.csv", "w", newline="", encoding="utf8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    log(f"grade: wrote {out / 'grades.csv'} and {len(outcomes)} feedback files in "
        f"{out / 'feedback'}")
    return rows


def find_assignment(root: Path) -> Path:
    """The one assignment under ``root`` (assignments/), or a clear error naming the choices."""
    found = sorted(p.parent.parent.parent for p in root.glob("*/dist/autograder/tests"))
    if len(found) == 1:
        return found[0]
    names = ", ".join(p.name for p in found) or "none"
    raise FileNotFoundError(f"name the assignment to grade with ASSIGNMENT=assignments/<name> "
                            f"(found: {names}); `make assignments` makes them")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="the folder of submitted notebooks")
    parser.add_argument("--assignment", type=Path,
                        help="assignments/<name> or its autograder zip (default: the only one)")
    parser.add_argument("--out", type=Path, help="default: grades/ beside SUBMISSIONS")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds per code cell and per test case (default 60)")
    parser.add_argument("--memory", type=int, default=2048,
                        help="MiB of address space per kernel (default 2048, Binder's limit)")
    args = parser.parse_args(argv)
    try:
        assignment = args.assignment or find_assignment(REPO / "assignments")
        out = args.out or args.submissions.resolve().parent / "grades"
        grade_folder(assignment.resolve(), args.submissions.resolve(), out.resolve(),
                     timeout=args.timeout, memory_mib=args.memory)
    except (FileNotFoundError, ValueError) as err:
        print(f"grade: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
