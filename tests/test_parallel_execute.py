"""book/_ext/parallel_execute.py's settings: how many chapters a build executes at a time, and
the order it starts them in. (That a build executes each chapter once, side by side, is checked on
the session's build in test_book_build.py.)"""

from __future__ import annotations

import sys

import pytest

from conftest import REPO_ROOT
from test_book_build import is_notebook, source_of, toc_pages

sys.path.insert(0, str(REPO_ROOT / "book" / "_ext"))
import parallel_execute  # noqa: E402


def test_jobs_come_from_the_environment_then_the_config_then_the_cores(monkeypatch) -> None:
    monkeypatch.setenv(parallel_execute.JOBS_VAR, "3")
    assert parallel_execute.resolve_jobs(5) == 3
    monkeypatch.delenv(parallel_execute.JOBS_VAR)
    assert parallel_execute.resolve_jobs(5) == 5
    auto = parallel_execute.resolve_jobs(None)
    assert 1 <= auto <= parallel_execute.MAX_AUTO_JOBS


@pytest.mark.parametrize("value, says", [("two", "no whole number"), ("0", "at least 1")])
def test_a_bad_job_count_says_what_to_set(monkeypatch, value: str, says: str) -> None:
    monkeypatch.setenv(parallel_execute.JOBS_VAR, value)
    with pytest.raises(ValueError, match=says) as info:
        parallel_execute.resolve_jobs(None)
    assert parallel_execute.JOBS_VAR in str(info.value)


def test_the_recorded_times_name_every_chapter() -> None:
    """The longest chapters start first only if book/budget.json's names are the build's docnames."""
    times = parallel_execute.earlier_times(REPO_ROOT, "book/budget.json")
    chapters = [d for d in toc_pages(REPO_ROOT) if is_notebook(source_of(REPO_ROOT, d))]
    assert set(chapters) <= set(times), sorted(set(chapters) - set(times))
    assert all(seconds > 0 for seconds in times.values())
    assert parallel_execute.earlier_times(REPO_ROOT, "no/such.json") == {}
