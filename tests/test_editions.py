"""The student edition: the same book with every solution removed, built by `make student`.

The full edition is the session's `built_book`; the student edition is built once per session
from it (tools/editions.py, sharing the full edition's execution cache), and the two are compared:
solution text is in the first and in no file at all of the second (pages, search index, sources,
notebooks, doctrees, the staged sources), and every page numbers its exercises the same way.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import BOOK_BUILD_TIMEOUT, REPO_ROOT, book_env
from nnscratch.exercises import book_chapters, exercise_numbers
from solution_text import (book_exercises, files_containing, normalise, prose_runs,
                           public_text, solution_markers)

pytestmark = [pytest.mark.book, pytest.mark.timeout(2 * BOOK_BUILD_TIMEOUT + 300)]


@dataclass(frozen=True)
class StudentBuild:
    returncode: int
    log: str
    out: Path          # everything the build wrote (html, executed notebooks, doctrees)
    src: Path          # the staged sources it was built from
    seconds: float

    @property
    def html(self) -> Path:
        return self.out / "_build" / "html"


@pytest.fixture(scope="session")
def student_build(built_book: Path, tmp_path_factory: pytest.TempPathFactory) -> StudentBuild:
    """Build the student edition once, as `make student` does, reusing the full edition's cache."""
    out = tmp_path_factory.mktemp("student-edition") / "student"
    cache = built_book.parent / ".jupyter_cache"          # where the full build's cache lives
    command = [sys.executable, str(REPO_ROOT / "tools" / "editions.py"), "student",
               "--out", str(out), "--cache", str(cache)]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO_ROOT, env=book_env(), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=BOOK_BUILD_TIMEOUT)
    seconds = time.perf_counter() - start
    print(f"\nstudent edition built in {seconds:.0f} s")
    return StudentBuild(proc.returncode, proc.stdout, out, out.with_name("student-src"), seconds)


@pytest.fixture(scope="session")
def student_html(student_build: StudentBuild) -> Path:
    if student_build.returncode != 0:
        pytest.fail(f"the student edition build failed (exit {student_build.returncode}):\n"
                    + "\n".join(student_build.log.splitlines()[-60:]), pytrace=False)
    return student_build.html


def pages(repo_root: Path) -> list[str]:
    return [p.relative_to(repo_root).with_suffix("").as_posix() for p in book_chapters(repo_root)]


def soup(html: Path, docname: str) -> BeautifulSoup:
    return BeautifulSoup((html / f"{docname}.html").read_text(encoding="utf8"), "html.parser")


def test_student_edition_builds(student_build: StudentBuild) -> None:
    assert student_build.returncode == 0, "\n".join(student_build.log.splitlines()[-60:])


def test_student_edition_reuses_the_full_editions_execution(student_build: StudentBuild,
                                                            student_html: Path) -> None:
    """Removing solutions changes no code cell, so jupyter-cache serves every chapter."""
    executed = set(re.findall(r"book/([\w-]+)\.md: Executed notebook", student_build.log))
    forced = {p.stem for p in (REPO_ROOT / "book").glob("*.md")
              if re.search(r"^\s*execution_mode:\s*force", p.read_text(encoding="utf8")[:600],
                           re.MULTILINE)}
    assert executed <= forced, f"chapters executed again instead of coming from the cache: {executed - forced}"


def test_solution_text_is_in_the_full_edition_and_nowhere_in_the_student_edition(
        built_book: Path, student_build: StudentBuild, student_html: Path) -> None:
    markers = solution_markers(REPO_ROOT)
    assert markers, "no solutions found"
    everything = [m for ms in markers.values() for m in ms]
    in_full = files_containing(built_book.parent, everything)
    unseen = [label for label, ms in markers.items() if not any(in_full[m] for m in ms)]
    assert not unseen, f"solutions with no distinctive text found in the full edition: {unseen}"
    for label, ms in markers.items():
        chapter = label.split("-ex-")[0]
        assert any(f.endswith(f"html/book/{chapter}.html") for m in ms for f in in_full[m]), (
            f"{label}: no solution text on the full edition's page book/{chapter}.html")
    for folder in (student_build.out, student_build.src):
        leaked = {m: files for m, files in files_containing(folder, everything).items() if files}
        assert not leaked, f"solution text in the student edition ({folder}): {leaked}"


def search_terms(html: Path) -> set[str]:
    text = (html / "searchindex.js").read_text(encoding="utf8")
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    return set(index["terms"]) | set(index.get("titleterms", {}))


def test_search_index_has_no_word_that_only_solutions_use(built_book: Path,
                                                          student_build: StudentBuild,
                                                          student_html: Path) -> None:
    from sphinx.search.en import SearchEnglish

    stem = SearchEnglish({}).stem
    def words(text: str, shortest: int) -> set[str]:
        return {w.lower() for w in re.findall(rf"[A-Za-z]{{{shortest},}}", text)}

    outputs = " ".join(normalise(p.read_text(encoding="utf8"))
                       for p in (student_build.out / "_build" / "jupyter_execute").rglob("*.ipynb"))
    public = {stem(w) for w in words(public_text(REPO_ROOT) + outputs, 1)}
    only_solutions = {stem(w) for ex in book_exercises(REPO_ROOT) if ex.solution
                      for run in prose_runs(ex.solution, min_words=1)
                      for w in words(run, 4)} - public
    indexed = only_solutions & search_terms(built_book)
    assert indexed, "the full edition's search index has none of the solutions' own words"
    leaked = indexed & search_terms(student_html)
    assert not leaked, f"words found only in solutions are in the student search index: {leaked}"


def exercise_titles(html: Path, docname: str) -> list[tuple[str, str]]:
    """(id, title) of each exercise on a page, e.g. ('sigmoid-ex-my-sigmoid', 'Exercise 2.3')."""
    return [(div.get("id", ""), " ".join(div.select_one(".admonition-title").get_text().split()))
            for div in soup(html, docname).select("div.exercise")]


def test_exercises_are_numbered_as_in_the_full_edition(built_book: Path,
                                                       student_html: Path) -> None:
    numbers = exercise_numbers(REPO_ROOT)
    for docname in pages(REPO_ROOT):
        full, student = exercise_titles(built_book, docname), exercise_titles(student_html, docname)
        assert full == student, f"{docname}: {full} != {student}"
        for label, title in full:
            assert title.startswith(f"Exercise {numbers[label]}"), (label, title, numbers[label])


def test_student_pages_have_no_solutions_and_say_which_edition(built_book: Path,
                                                               student_html: Path) -> None:
    labelled = {ex.label for ex in book_exercises(REPO_ROOT) if ex.solution}
    n_full = sum(len(soup(built_book, d).select("div.solution")) for d in pages(REPO_ROOT))
    assert n_full == len(labelled)
    for docname in pages(REPO_ROOT):
        page = soup(student_html, docname)
        assert not page.select("div.solution"), f"{docname}: a solution is left"
        assert "Solution to" not in page.get_text(), docname
        assert "(student edition)" in page.title.get_text(), page.title
        assert not page.select('a[href*="mybinder.org/v2"]'), f"{docname}: a Binder button"
        assert not page.select('a[href*="colab.research.google.com"]'), f"{docname}: a Colab button"
