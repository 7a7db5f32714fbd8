"""Every chapter runs within Binder's memory limit (2 GB), and the figures the book states are true.

No chapter is run again for this: the session's one book build executes every chapter in a fresh
kernel, and each kernel records its own peak resident memory (VmHWM) after every cell
(book/_ext/kernel_budget.py, switched on by tests/conftest.py). `make budget` (tools/budget.py)
measures the same with one BLAS thread, as on Binder, and records its table in book/budget.json,
which the README and the instructors' page show; test_recorded_table_is_current checks that the
table still describes the chapters. Time is reported (by `make budget`), never asserted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import BOOK_BUILD_TIMEOUT, REPO_ROOT, BookBuild
from test_book_build import is_notebook, source_of, toc_pages

sys.path.insert(0, str(REPO_ROOT / "tools"))
import budget  # noqa: E402  (tools/budget.py)

CHAPTERS = [d for d in toc_pages(REPO_ROOT) if is_notebook(source_of(REPO_ROOT, d))]
# Chapters known to be over the limit today, with who mends them. strict: when one fits, its
# test fails until its entry here is removed.
KNOWN_OVER: dict[str, str] = {}
# How far a chapter's peak in the test build (one BLAS thread per kernel, two chapters at a
# time: book/_ext/parallel_execute.py) may be from the recorded figure before the table counts as
# out of date.
TOLERANCE_MIB, TOLERANCE_FRACTION = 100, 0.15


def build_peak_mib(book_build: BookBuild, docname: str) -> float:
    record = book_build.budget / f"{docname.replace('/', '__')}.json"
    assert record.exists(), (
        f"{docname}: its kernel left no memory record in {book_build.budget} (was it executed? "
        "the build is clean, so every notebook chapter should be)")
    data = json.loads(record.read_text())
    assert data["doc"] == docname and not data["failed"], data
    return data["peak_kib"] / 1024


@pytest.mark.book
@pytest.mark.timeout(BOOK_BUILD_TIMEOUT + 300)
@pytest.mark.parametrize("docname", [
    pytest.param(d, marks=pytest.mark.xfail(reason=KNOWN_OVER[d], strict=True)) if d in KNOWN_OVER
    else d for d in CHAPTERS])
def test_chapter_fits_binder(book_build: BookBuild, docname: str) -> None:
    peak = build_peak_mib(book_build, docname)
    assert peak <= budget.LIMIT_MIB, (
        f"{docname}: its kernel peaked at {peak:.0f} MiB, above Binder's {budget.LIMIT_MIB} MiB, "
        "where mybinder.org stops the server. `make budget` shows every chapter's peak; keep "
        "fewer float64 copies of MNIST alive (60,000 x 784 float64 pixels are 376 MB each).")


def recorded() -> dict:
    assert budget.RECORD.exists(), f"no {budget.RECORD}: run `make budget ARGS=--write`"
    return json.loads(budget.RECORD.read_text())


def test_recorded_table_covers_every_chapter() -> None:
    table = recorded()
    assert sorted(table["chapters"]) == sorted(Path(d).name for d in CHAPTERS), (
        "book/budget.json does not list the chapters of _toc.yml: run `make budget ARGS=--write`")
    assert all(r["peak_mib"] > 0 and r["wall_s"] > 0 for r in table["chapters"].values()), table


@pytest.mark.book
@pytest.mark.timeout(BOOK_BUILD_TIMEOUT + 300)
def test_recorded_table_is_current(book_build: BookBuild) -> None:
    """The peaks the book states (book/budget.json) are those the chapters reach today."""
    table = recorded()["chapters"]
    stale = {}
    for docname in CHAPTERS:
        name = Path(docname).name
        if name not in table:
            continue  # test_recorded_table_covers_every_chapter says so
        now, stated = build_peak_mib(book_build, docname), table[name]["peak_mib"]
        if abs(now - stated) > max(TOLERANCE_MIB, TOLERANCE_FRACTION * stated):
            stale[name] = f"stated {stated} MiB, now {now:.0f} MiB"
    assert not stale, ("book/budget.json (shown in the README and on the instructors' page) is "
                       f"out of date: {stale}. Run `make budget ARGS=--write`.")


def test_the_kernel_measures_itself(tmp_path: Path) -> None:
    """The record is the kernel's own high-water mark: a cell that holds 400 MB raises it by
    that much, although the memory is freed before the cell ends, and the process measured is
    the kernel, not this one."""
    import os

    import jupytext

    chapter = tmp_path / "chapter.md"
    chapter.write_text("---\njupytext:\n  text_representation:\n    extension: .md\n"
                       "    format_name: myst\nkernelspec:\n  display_name: Python 3\n"
                       "  language: python\n  name: python3\n---\n\n"
                       "```{code-cell} ipython3\nimport numpy as np\n```\n\n"
                       "```{code-cell} ipython3\nnp.ones(50_000_000).sum()  # 400 MB, then freed\n```\n")
    assert len([c for c in jupytext.read(chapter).cells if c.cell_type == "code"]) == 2
    result = budget.measure(chapter, tmp_path)
    assert result["ok"], result.get("error")
    record = json.loads((tmp_path / "chapter.json").read_text())
    assert record["pid"] != os.getpid() and record["cells"] == 2
    assert 400 <= result["peak_mib"] < 400 + 300, result
    assert set(result["threads"].values()) == {1}, result["threads"]
    assert budget.verdict(result) == "within 1 GB"
    assert budget.verdict(dict(result, peak_mib=budget.LIMIT_MIB + 1)) == "OVER 2 GB"
