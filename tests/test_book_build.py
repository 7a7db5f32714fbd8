"""The whole book builds with every chapter executed, and its pages are sound.

These checks hold for any chapter list: they read _toc.yml and _config.yml rather than naming
chapters. Checks of one chapter's content belong in that chapter's own test module, which can use
the same session-wide `built_book` fixture (the book is built once per session).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from sphinx_external_toc.parsing import parse_toc_yaml

from conftest import BOOK_BUILD_TIMEOUT, EXECUTE_JOBS, BookBuild

pytestmark = [pytest.mark.book, pytest.mark.timeout(BOOK_BUILD_TIMEOUT + 300)]

# Output that must never reach a page: stderr and tracebacks from cells (myst-nb marks them
# `output stderr` / `output traceback`), and docutils' markers of broken markup.
BAD_OUTPUT = ".output.stderr, .output.traceback, .output.error, .system-message, .problematic"


def toc_pages(repo_root: Path) -> list[str]:
    """Every page named in _toc.yml, as Sphinx docnames (e.g. 'book/preface')."""
    return list(parse_toc_yaml(repo_root / "_toc.yml"))


def source_of(repo_root: Path, docname: str) -> Path:
    for suffix in (".md", ".ipynb"):
        path = repo_root / f"{docname}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"no source for {docname!r} in _toc.yml")


def is_notebook(path: Path) -> bool:
    """A chapter that runs code: an .ipynb, or MyST markdown whose front matter names a kernel."""
    if path.suffix == ".ipynb":
        return True
    text = path.read_text(encoding="utf8")
    if not text.startswith("---\n"):
        return False
    front_matter = yaml.safe_load(text[4:text.index("\n---", 4)]) or {}
    return "kernelspec" in front_matter


def page(html: Path, docname: str) -> BeautifulSoup:
    return BeautifulSoup((html / f"{docname}.html").read_text(encoding="utf8"), "html.parser")


def test_build_succeeds(book_build: BookBuild) -> None:
    assert book_build.returncode == 0, (
        f"jupyter-book build exited {book_build.returncode}; the end of its output:\n"
        f"{book_build.tail()}")


def test_chapters_execute_side_by_side_and_once(book_build: BookBuild, repo_root: Path) -> None:
    """book/_ext/parallel_execute.py executes the chapters two at a time before Sphinx reads them,
    and myst-nb then finds every one of them in the cache: none executes a second time. (If the
    pre-pass stored executions under another hash than myst-nb's, every chapter would run twice
    and the build would take twice as long, with no other sign.)"""
    log = re.sub(r"\x1b\[[0-9;]*m", "", book_build.log)
    executed = re.findall(r"^parallel_execute: (\S+) executed in ([\d.]+) s$", log, re.MULTILINE)
    names = [docname for docname, _ in executed]
    cached = [d for d in toc_pages(repo_root) if is_notebook(source_of(repo_root, d))
              and "execution_mode: force" not in source_of(repo_root, d).read_text(encoding="utf8")]
    assert sorted(names) == sorted(cached), (
        f"the pre-pass executed {names}, not every cached-mode chapter {cached}")
    again = [d for d in names if re.search(rf"{re.escape(d)}\.md: Executing notebook", log)]
    assert not again, f"executed twice (the pre-pass's execution did not match myst-nb's): {again}"
    assert re.search(rf"executed and cached, 0 failed, in [\d.]+ s with {EXECUTE_JOBS} at a time",
                     log), "the pre-pass's summary line is missing or reports failures"


def test_every_toc_page_is_built(built_book: Path, repo_root: Path) -> None:
    missing = [d for d in toc_pages(repo_root) if not (built_book / f"{d}.html").is_file()]
    assert not missing, f"pages in _toc.yml without HTML: {missing}"
    assert (built_book / "index.html").is_file()


def test_no_errors_or_stderr_on_any_page(built_book: Path, repo_root: Path) -> None:
    found = {}
    for docname in toc_pages(repo_root):
        bad = page(built_book, docname).select(BAD_OUTPUT)
        if bad:
            found[docname] = [" ".join(el.get_text().split())[:200] for el in bad]
    assert not found, f"error or stderr output on pages: {found}"


def test_chapters_have_a_binder_launch_link(built_book: Path, repo_root: Path) -> None:
    """Binder opens the chapter's reader notebook on the branch the Pages workflow publishes
    (book/_ext/reader_edition.py; tests/test_downloads.py checks that the workflow makes it)."""
    config = yaml.safe_load((repo_root / "_config.yml").read_text(encoding="utf8"))
    repo_url = config["repository"]["url"].rstrip("/")
    org_repo = repo_url.removeprefix("https://github.com/")
    branch = config["sphinx"]["config"]["nnscratch_notebooks_branch"]
    chapters = [d for d in toc_pages(repo_root) if is_notebook(source_of(repo_root, d))]
    assert chapters, "no notebook chapters in _toc.yml"
    for docname in chapters:
        links = [a["href"] for a in page(built_book, docname).select('a[href*="mybinder.org"]')]
        expected = (f"https://mybinder.org/v2/gh/{org_repo}/{branch}"
                    f"?urlpath=lab/tree/{docname}.ipynb")
        assert expected in links, f"{docname}: Binder links {links}, expected {expected}"


def article(html: Path, docname: str):
    """The page's main content (without the sidebars and the footer)."""
    soup = page(html, docname)
    return soup.select_one("article") or soup


def test_every_page_shows_a_figure_whose_file_exists(built_book: Path, repo_root: Path) -> None:
    missing = []
    for docname in toc_pages(repo_root):
        html_file = built_book / f"{docname}.html"
        images = [img["src"] for img in article(built_book, docname).select("img[src]")
                  if not img["src"].startswith("data:")]
        if not any((html_file.parent / src).resolve().is_file() for src in images):
            missing.append((docname, images))
    assert not missing, f"pages without a figure whose file exists: {missing}"


def test_every_page_ends_with_three_exercises(built_book: Path, repo_root: Path) -> None:
    counts = {d: len(article(built_book, d).select("div.exercise")) for d in toc_pages(repo_root)
              if d != "book/instructors"}
    assert all(n >= 3 for n in counts.values()), f"exercises per page: {counts}"


def glued(build_html: Path, docname: str) -> dict[str, str]:
    """The values a chapter glued, as myst-nb saved them beside its executed notebook."""
    import json

    path = build_html.parent / "jupyter_execute" / f"{docname}.glue.json"
    return {name: out["data"].get("text/plain") for name, out in json.loads(path.read_text()).items()}


def test_training_chapter_reproduces_the_homework(built_book: Path) -> None:
    values = glued(built_book, "book/training")
    assert float(values["acc_scaled"]) >= 0.92, values["acc_scaled"]
    assert float(values["acc_raw"]) <= 0.80, values["acc_raw"]


def test_training_chapter_controls_separate_the_two_causes(built_book: Path) -> None:
    """What 'Why raw pixels stall' concludes from its controls, and from the chaos experiment."""
    v = {k: float(x) for k, x in glued(built_book, "book/training").items()
         if k.startswith(("training_ctrl_", "training_chaos_disagree_", "training_n_seeds"))}
    assert v["training_n_seeds"] >= 3
    assert v["training_ctrl_scaled_min"] > v["training_ctrl_raw_max"]
    assert v["training_ctrl_one_fix_best"] < v["training_ctrl_raw_min"], "a single fix beat raw"
    assert v["training_chaos_disagree_raw"] > 0.1 > 0.005 > v["training_chaos_disagree_scaled"]


def test_minibatch_chapter_validates_before_it_tests(built_book: Path) -> None:
    values = glued(built_book, "book/minibatch")
    assert float(values["mb_ps_best_lr"]) > 0.003, "0.003 won the per-sample validation"
    assert float(values["mb_chosen_val"]) >= float(values["mb_ab_plain_mean"])
    assert float(values["best_test_acc"]) >= 0.955, values["best_test_acc"]
