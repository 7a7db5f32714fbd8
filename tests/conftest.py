"""Fixtures shared by every test: the repository root, real MNIST, and the built book."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# A full build executes every chapter; this bounds it (CI allows 90 minutes for everything).
BOOK_BUILD_TIMEOUT = 2400  # seconds
EXECUTE_JOBS = 2  # chapters the session's build executes at a time


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (where _config.yml and _toc.yml are)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def mnist():
    """Real MNIST from the local copy named by NNSCRATCH_DATA; skipped when none is named."""
    if not os.environ.get("NNSCRATCH_DATA"):
        pytest.skip("NNSCRATCH_DATA is not set: no local MNIST copy to test against")
    from nnscratch.data import load_mnist

    return load_mnist()


def book_env() -> dict[str, str]:
    """The environment of a book build, as a reader's shell has it: MNIST named, and no
    NNSCRATCH_PROGRESS (the build turns progress bars off itself, book/_ext/quiet_build.py; the
    session's build is the plain `jupyter-book build .` that test_quiet_build.py checks)."""
    env = dict(os.environ)
    env.pop("NNSCRATCH_PROGRESS", None)
    if env.get("NNSCRATCH_DATA"):
        # Chapters execute in book/, so a relative path would point somewhere else there.
        env["NNSCRATCH_DATA"] = str(Path(env["NNSCRATCH_DATA"]).resolve())
    return env


@dataclass(frozen=True)
class BookBuild:
    """The outcome of one `jupyter-book build` of the whole book."""

    returncode: int
    log: str
    html: Path
    budget: Path  # one record per executed chapter: its kernel's peak memory (tests/test_budget.py)

    def tail(self, lines: int = 80) -> str:
        return "\n".join(self.log.splitlines()[-lines:])


@pytest.fixture(scope="session")
def book_build(tmp_path_factory: pytest.TempPathFactory) -> BookBuild:
    """Build the book once per test session, cleanly, into a temporary folder.

    The same command as `make book` (warnings are errors, missing references too), with the
    output and the execution cache kept out of the repository.
    """
    out = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    assert jupyter_book.exists(), f"no jupyter-book beside {sys.executable}"
    cmd = [str(jupyter_book), "build", str(REPO_ROOT), "--path-output", str(out),
           "-W", "-n", "--keep-going"]
    # Each chapter's kernel records its peak memory in <out>/budget (book/_ext/kernel_budget.py).
    # Two chapters execute at a time, as on CI's two cores (book/_ext/parallel_execute.py; the
    # default is the number of cores), so test_book_build.py can check that each runs once.
    env = dict(book_env(), NNSCRATCH_BUDGET_DIR=str(out / "budget"),
               NNSCRATCH_EXECUTE_JOBS=str(EXECUTE_JOBS))
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=BOOK_BUILD_TIMEOUT)
    (out / "build.log").write_text(proc.stdout)
    return BookBuild(proc.returncode, proc.stdout, out / "_build" / "html", out / "budget")


@pytest.fixture(scope="session")
def built_book(book_build: BookBuild) -> Path:
    """The HTML folder of a successful build (pages at <folder>/book/<chapter>.html)."""
    if book_build.returncode != 0:
        pytest.fail(f"the book build failed (exit {book_build.returncode}); "
                    "test_book_build.py::test_build_succeeds shows its log", pytrace=False)
    return book_build.html
