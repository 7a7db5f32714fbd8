"""A change to the package re-executes the chapters that import it (book/_ext/package_watch.py).

jupyter-cache keys an execution on the notebook's code cells only, and Sphinx re-reads only pages
whose source changed, so without the extension an edit to the package would leave every page
showing outputs of the old code. These tests build a one-page book in a temporary folder, whose
page prints a value from a tiny package, and edit the package between builds.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

EXT_DIR = REPO_ROOT / "book" / "_ext"
EXECUTED = "Executing notebook"  # myst-nb's log line when it runs a notebook (not from cache)
CACHED = "Using cached notebook"  # and when it takes the outputs from jupyter-cache

PAGE = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# A page

```{code-cell} ipython3
import tinypkg
print(tinypkg.VALUE)
```
"""


def write_package(book: Path, value: str) -> None:
    (book / "pkg" / "tinypkg" / "__init__.py").write_text(f"VALUE = {value!r}\n")


@pytest.fixture
def tiny_book(tmp_path: Path) -> Path:
    """A book with one notebook page that prints tinypkg.VALUE, watched by the extension."""
    (tmp_path / "pkg" / "tinypkg").mkdir(parents=True)
    write_package(tmp_path, "first value")
    (tmp_path / "page.md").write_text(PAGE)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    (tmp_path / "_config.yml").write_text(
        "title: A tiny book\n"
        "only_build_toc_files: true\n"
        "execute:\n"
        "  execute_notebooks: cache\n"
        "sphinx:\n"
        "  local_extensions:\n"
        f"    package_watch: {json.dumps(str(EXT_DIR))}\n"
        "  config:\n"
        "    nnscratch_watch_paths: [pkg/tinypkg]\n")
    return tmp_path


def build(book: Path) -> str:
    """Build the book incrementally (as `jupyter-book build .` does) and return its log."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    # The page's kernel imports tinypkg from pkg/.
    pythonpath = os.pathsep.join(filter(None, [str(book / "pkg"), os.environ.get("PYTHONPATH")]))
    proc = subprocess.run([str(jupyter_book), "build", str(book), "-W"], cwd=book,
                          env=dict(os.environ, PYTHONPATH=pythonpath), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
    assert proc.returncode == 0, f"the build failed (exit {proc.returncode}):\n{proc.stdout}"
    return proc.stdout


def page_html(book: Path) -> str:
    return (book / "_build" / "html" / "page.html").read_text(encoding="utf8")


def test_a_change_to_the_package_re_executes_the_page(tiny_book: Path) -> None:
    # (a) The first build executes the page.
    log = build(tiny_book)
    assert EXECUTED in log, log
    assert "first value" in page_html(tiny_book)

    # (b) Nothing changed: the page is neither executed nor even read again.
    log = build(tiny_book)
    assert "pkg/tinypkg unchanged since the last build" in log, log
    assert EXECUTED not in log and CACHED not in log, log
    assert "first value" in page_html(tiny_book)

    # (c) The package changed, the page did not: the page executes again and shows the new value.
    write_package(tiny_book, "second value")
    log = build(tiny_book)
    assert "pkg/tinypkg changed since the last build" in log, log
    assert EXECUTED in log, log
    html = page_html(tiny_book)
    assert "second value" in html and "first value" not in html


def test_the_hash_follows_edits_new_files_and_renames(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("package_watch", EXT_DIR / "package_watch.py")
    package_watch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(package_watch)

    package = tmp_path / "pkg" / "tinypkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("VALUE = 1\n")
    hashes = [package_watch.package_hash(tmp_path, ["pkg/tinypkg"])]

    (package / "notes.txt").write_text("not Python: not watched\n")
    assert package_watch.package_hash(tmp_path, ["pkg/tinypkg"]) == hashes[-1]

    (package / "__init__.py").write_text("VALUE = 2\n")
    hashes.append(package_watch.package_hash(tmp_path, ["pkg/tinypkg"]))
    (package / "sub").mkdir()
    (package / "sub" / "helpers.py").write_text("X = 1\n")
    hashes.append(package_watch.package_hash(tmp_path, ["pkg/tinypkg"]))
    (package / "sub" / "helpers.py").rename(package / "sub" / "tools.py")
    hashes.append(package_watch.package_hash(tmp_path, ["pkg/tinypkg"]))
    assert len(set(hashes)) == len(hashes), "an edit, a new file or a rename left the hash alone"
