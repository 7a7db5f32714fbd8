"""A chapter runs anywhere: its page offers the reader notebook for download, the notebook installs
the book's package where it is missing, and the Binder and Colab buttons open notebooks that the
Pages workflow publishes (book/_ext/reader_edition.py, tools/notebooks_branch.py).

The install is proved offline: the downloaded preface runs in a fresh virtual environment, outside
the repository, where `nnscratch` is not installed and its first cell installs it from a wheel
built from code/ (NNSCRATCH_PIP_ARGS="--no-index --find-links <wheels> nnscratch", which the cell
honours in place of the repository's address). numpy, matplotlib and the kernel come from this
environment's site-packages on PYTHONPATH, without the editable nnscratch (whose .pth file
PYTHONPATH does not read, and whose metadata is left out), so only the install can provide it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

from conftest import REPO_ROOT, book_env
from test_book_build import is_notebook, source_of, toc_pages

sys.path.insert(0, str(REPO_ROOT / "tools"))
from notebooks_branch import copy_notebooks  # noqa: E402

CHAPTERS = [d for d in toc_pages(REPO_ROOT) if is_notebook(source_of(REPO_ROOT, d))]
CONFIG = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf8"))
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "book.yml"


def links(html: Path, docname: str, host: str) -> list[str]:
    soup = BeautifulSoup((html / f"{docname}.html").read_text(encoding="utf8"), "html.parser")
    return [a["href"] for a in soup.select(f'a[href*="{host}"]')]


def test_every_page_offers_its_reader_notebook(built_book: Path) -> None:
    for docname in CHAPTERS:
        soup = BeautifulSoup((built_book / f"{docname}.html").read_text(encoding="utf8"),
                             "html.parser")
        hrefs = [a["href"] for a in soup.select("a[href$='.ipynb']")]
        name = docname.split("/")[-1]
        assert f"../_sources/{docname}.ipynb" in hrefs, f"{docname}: downloads {hrefs}"
        nb = nbformat.read(built_book / "_sources" / f"{docname}.ipynb", as_version=4)
        nbformat.validate(nb)
        assert "install-nnscratch" in nb.cells[0].metadata.get("tags", []), name
        markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert "{glue" not in markdown and "{literalinclude}" not in markdown, name
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert any(c.outputs for c in code), f"{name}: the download has no outputs"
        assert all(c.execution_count is None for c in code), name


def test_the_workflow_publishes_what_the_colab_and_binder_buttons_open(
        built_book: Path, tmp_path: Path) -> None:
    """Every chapter's Colab (and Binder) link names the notebooks branch and a notebook that
    the workflow's notebooks job puts there: the job runs tools/notebooks_branch.py, which is
    run here on the session's build."""
    branch = CONFIG["sphinx"]["config"]["nnscratch_notebooks_branch"]
    job = yaml.safe_load(WORKFLOW.read_text(encoding="utf8"))["jobs"]["notebooks"]
    assert job["env"]["NOTEBOOKS_BRANCH"] == branch
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "tools/notebooks_branch.py" in runs and "--into ." in runs
    assert 'git push --force origin "$NOTEBOOKS_BRANCH"' in runs
    published = {p.relative_to(tmp_path).as_posix()
                 for p in copy_notebooks(built_book / "_sources", tmp_path)}
    org_repo = CONFIG["repository"]["url"].rstrip("/").removeprefix("https://github.com/")
    for docname in CHAPTERS:
        colab = links(built_book, docname, "colab.research.google.com")
        expected = f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/{docname}.ipynb"
        assert colab == [expected], f"{docname}: Colab links {colab}, expected {expected}"
        assert f"{docname}.ipynb" in published, f"{docname}: the workflow publishes no notebook"
        binder = links(built_book, docname, "mybinder.org")
        assert (f"https://mybinder.org/v2/gh/{org_repo}/{branch}"
                f"?urlpath=lab/tree/{docname}.ipynb") in binder, binder


def test_copy_refuses_a_notebook_that_is_not_a_reader_notebook(tmp_path: Path) -> None:
    raw = tmp_path / "sources" / "book" / "x.ipynb"
    raw.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), raw)
    with pytest.raises(SystemExit, match="not a reader notebook"):
        copy_notebooks(tmp_path / "sources", tmp_path / "out")


RUNNER = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
nb.cells.append(nbformat.v4.new_code_cell("import nnscratch; print(nnscratch.__file__)"))
NotebookClient(nb, timeout=300, kernel_name="python3",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
nbformat.write(nb, sys.argv[3])
"""


def test_a_downloaded_chapter_installs_the_package_and_runs(built_book: Path,
                                                           tmp_path: Path) -> None:
    download = built_book / "_sources" / "book" / "preface.ipynb"
    wheels, venv, work = tmp_path / "wheels", tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
                    "--no-build-isolation", "-w", str(wheels), str(REPO_ROOT / "code")],
                   check=True, stdin=subprocess.DEVNULL, timeout=300)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    # This environment's packages without the editable nnscratch (its finder, .pth, metadata).
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    deps = tmp_path / "deps"
    deps.mkdir()
    for entry in site.iterdir():
        if "nnscratch" not in entry.name:
            (deps / entry.name).symlink_to(entry)
    python = venv / "bin" / "python"
    env = dict(book_env(), PYTHONPATH=str(deps), NNSCRATCH_PROGRESS="0",
               NNSCRATCH_PIP_ARGS=f"--no-index --find-links {wheels} nnscratch")
    env.pop("VIRTUAL_ENV", None)
    check = subprocess.run([str(python), "-c", "import importlib.util as u; "
                            "print(u.find_spec('nnscratch'))"], env=env, cwd=work,
                           capture_output=True, text=True, check=True)
    assert check.stdout.strip() == "None", "nnscratch is importable before the install"
    executed = tmp_path / "executed.ipynb"
    proc = subprocess.run([str(python), "-c", RUNNER, str(download), str(work), str(executed)],
                          env=env, cwd=work, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(executed, as_version=4)
    said = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "nnscratch is not installed: pip install --no-index" in said, said
    assert "installed nnscratch" in said, said
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"{out.get('ename')}: {out.get('evalue')}"
            assert out.get("name") != "stderr", out.get("text", "")[:500]
    where = "".join(o.get("text", "") for o in nb.cells[-1].outputs).strip()
    assert Path(where).is_relative_to(venv), f"nnscratch imported from {where}, not the install"
