"""Every exercise of every chapter in _toc.yml has a solution, and every coding exercise has a
starter block with a check call; every solution's code passes that check.

So a solution cannot rot while the book still builds: the solutions are fenced code, never
executed by the build, and this is where they run. The solution block is executed on its own in a
fresh namespace (it must be self-contained: its own imports), then the starter's check call is
evaluated in that namespace, exactly as a reader's notebook would run it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import nnscratch
from nnscratch import checks
from nnscratch.exercises import Exercise, book_chapters, exercise_numbers, read_exercises

REPO_ROOT = Path(__file__).resolve().parent.parent
EXERCISES = [ex for path in book_chapters(REPO_ROOT) if path.suffix == ".md" and path.exists()
             for ex in read_exercises(path)]
CODING = [ex for ex in EXERCISES if ex.kind == "coding"]


def ids(exercises: list[Exercise]) -> list[str]:
    return [ex.label or f"{ex.chapter}-unlabelled" for ex in exercises]


def test_the_book_has_exercises() -> None:
    assert CODING, "no coding exercise found in the chapters of _toc.yml"


def test_labels_are_unique_and_follow_the_convention() -> None:
    labels = [ex.label for ex in EXERCISES]
    assert len(set(labels)) == len(labels), f"duplicate labels: {labels}"
    wrong = [(ex.chapter, ex.label) for ex in EXERCISES
             if not ex.label.startswith(f"{ex.chapter}-ex-")]
    assert not wrong, f"labels must read <chapter>-ex-<name>: {wrong}"


def test_every_exercise_has_a_numbered_place_in_the_book() -> None:
    numbers = exercise_numbers(REPO_ROOT)
    assert set(numbers) == {ex.label for ex in EXERCISES if "nonumber" not in ex.options}


@pytest.mark.parametrize("exercise", EXERCISES, ids=ids(EXERCISES))
def test_every_exercise_has_a_solution(exercise: Exercise) -> None:
    assert exercise.solution, f"{exercise.label}: no solution directive follows it"
    assert exercise.solution_span[0] > exercise.span[0], "the solution comes after the exercise"


@pytest.mark.parametrize("exercise", CODING, ids=ids(CODING))
def test_coding_exercise_has_a_starter_that_calls_its_check(exercise: Exercise) -> None:
    assert exercise.starter, (
        f"{exercise.label}: a coding exercise (its solution has code) needs a starter block "
        "in the exercise: the function with `...` as its body, then nn.check_<name>(my_<name>)")
    assert exercise.function, f"{exercise.label}: the starter defines no function"
    assert exercise.check, f"{exercise.label}: the starter calls no check"
    assert exercise.check in checks.__all__, f"{exercise.label}: no nnscratch.checks.{exercise.check}"
    assert getattr(nnscratch, exercise.check) is getattr(checks, exercise.check), (
        f"nn.{exercise.check} is not re-exported by nnscratch")
    assert exercise.check_call.endswith(f"({exercise.function})"), (
        f"{exercise.label}: the check call {exercise.check_call!r} must pass {exercise.function}")
    assert "..." in exercise.starter, f"{exercise.label}: the starter's body should be `...`"


@pytest.mark.parametrize("exercise", CODING, ids=ids(CODING))
def test_unanswered_starter_runs_and_says_not_answered(exercise: Exercise) -> None:
    if not (exercise.starter and exercise.check):
        pytest.skip("no starter with a check (reported by the test above)")
    namespace: dict = {"nn": nnscratch, "np": np}
    exec(compile(exercise.starter, f"<starter of {exercise.label}>", "exec"), namespace)
    result = eval(exercise.check_call, namespace)
    assert isinstance(result, checks.CheckResult) and not result.passed
    assert "not answered yet" in result.message, result.message


@pytest.mark.parametrize("exercise", CODING, ids=ids(CODING))
def test_solution_passes_its_check(exercise: Exercise) -> None:
    if not (exercise.starter and exercise.check):
        pytest.skip("no starter with a check (reported by the test above)")
    assert exercise.solution_code, f"{exercise.label}: the solution has no ```python block"
    namespace: dict = {"__name__": f"solution_{exercise.label.replace('-', '_')}"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(exercise.solution_code, f"<solution of {exercise.label}>", "exec"), namespace)
    assert callable(namespace.get(exercise.function)), (
        f"{exercise.label}: the solution does not define {exercise.function}")
    namespace.setdefault("nn", nnscratch)      # the starter's `nn`, as in the chapter
    result = eval(exercise.check_call, namespace)
    assert result.passed, f"{exercise.label}: the book's solution fails its check:\n{result}"
