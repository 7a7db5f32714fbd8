"""A chapter's launch button opens a notebook that runs: JupyterLab started the way Binder starts
it, driven in headless Chromium.

Binder builds the repository with repo2docker (`pip install -r requirements.txt`, then the
`postBuild` script) and opens the path in the launch link. The launch link opens the chapter's
reader notebook, `lab/tree/book/<chapter>.ipynb`, on the branch the Pages workflow publishes
(the commit's tree plus the reader notebooks the book build made, book/_ext/reader_edition.py).
Here JupyterLab runs from this environment on 127.0.0.1 with that branch's layout as its root (the
repository's files, linked, plus the reader notebooks of the session's book build), after the
repository's own postBuild has written its settings to a fresh Jupyter config folder (Binder's
~/.jupyter). For every notebook chapter in _toc.yml the test opens the launch link's path, checks
that JupyterLab shows a notebook (not a text editor) that reads like the page (no raw MyST, the
package source and the glued numbers the page shows, every figure with its caption and loaded),
runs all cells from the command palette as a reader would, and checks that no cell failed and
that each figure the page draws shows once, as opened and after the run. Progress bars (tqdm
writes them to stderr) are fine; tracebacks are not.
Screenshots of each chapter, before and after the run, go to <build>/screenshots/binder/.

Test-only settings, in a second config folder: autosave off (so the test never writes a chapter)
and no news or update checks. test_without_postbuild_a_chapter_opens_as_text shows that the
repository's postBuild is what makes a chapter open as a notebook.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest
from bs4 import BeautifulSoup

import browser
from conftest import BOOK_BUILD_TIMEOUT, REPO_ROOT, book_env
from test_book_build import is_notebook, source_of, toc_pages

sys.path.insert(0, str(REPO_ROOT / "tools"))
sys.path.insert(0, str(REPO_ROOT / "book" / "_ext"))
from kernel_budget import recorded_wall_s  # noqa: E402
from notebooks_branch import copy_notebooks  # noqa: E402
from test_reader_notebooks import figures_shown  # noqa: E402

CHAPTERS = [d for d in toc_pages(REPO_ROOT) if is_notebook(source_of(REPO_ROOT, d))]

# Every chapter is opened and read in JupyterLab; the cheaper half of them (by their one-thread
# wall time in book/budget.json) is also run there, top to bottom. The others are not run a second
# time: the session's book build executes every chapter, and tests/test_budget.py checks each
# one's fresh-kernel run (`make budget`, one thread, as on Binder). Running them in JupyterLab too
# would cost CI minutes without testing anything more than the cheap chapters' runs already test:
# the JupyterLab kernel, its working directory and its progress bars. (In JupyterLab a chapter
# takes several times its budget: forward's 10 s and backprop's 17 s took 73 s and 88 s in a test
# run on a loaded machine.) The half is chosen by rank, not by a threshold in seconds, so that a
# re-measured budget moves no chapter across a line.
_BUDGET = recorded_wall_s()


def _wall_s(docname: str) -> float:
    return _BUDGET.get(docname.split("/")[-1], float("inf"))


RUN_IN_LAB = set(sorted(CHAPTERS, key=_wall_s)[:(len(CHAPTERS) + 1) // 2])

LAB_START_TIMEOUT = 120   # seconds for JupyterLab to answer
OPEN_TIMEOUT = 90         # for a chapter to open and its kernel to be ready
RUN_TIMEOUT = 420         # for all of a chapter's cells to run

TEST_SETTINGS = {
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                     "checkForUpdates": False},
    # Every cell in the page at once (by default JupyterLab renders the cells near the view
    # only, as the reader scrolls), so that the test reads the whole notebook.
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}

# MyST that must not show as text in a reader notebook (jupyterlab-myst renders the rest).
RAW_MYST = re.compile(r"\{glue(:\w+)?\}|\{literalinclude\}|\{doc\}|:::\{|```\{|"
                      r"(?<![\w:]):(alt|name|label|pyobject|language|caption|tags):\s")


def on_the_book(test):
    # The launch path comes from the built book, so the first of these tests may wait for the build.
    return pytest.mark.book(pytest.mark.timeout(BOOK_BUILD_TIMEOUT + 900)(test))


# --------------------------------------------------------------------------------------------
# JupyterLab


@dataclass
class Lab:
    url: str          # http://127.0.0.1:<port>/
    token: str
    workspaces: Path
    log: Path
    root: Path = REPO_ROOT  # the folder JupyterLab serves

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def reset(self) -> None:
        """Shut down every kernel and forget the open tabs, as a fresh Binder would have."""
        for session in self.api("api/sessions"):
            self.api(f"api/sessions/{session['id']}", method="DELETE")
        for kernel in self.api("api/kernels"):
            self.api(f"api/kernels/{kernel['id']}", method="DELETE")
        for workspace in self.workspaces.glob("*"):
            workspace.unlink()


def lab_environment(tmp: Path, postbuild: bool) -> dict[str, str]:
    """The environment of a Binder session: this venv first on PATH, a fresh Jupyter config
    folder (written by postBuild when asked), and no NNSCRATCH_PROGRESS (readers see progress)."""
    config, extra = tmp / "jupyter-config", tmp / "test-settings"
    (extra / "labconfig").mkdir(parents=True)
    (extra / "labconfig" / "default_setting_overrides.json").write_text(json.dumps(TEST_SETTINGS))
    config.mkdir()
    env = book_env()
    env.pop("NNSCRATCH_PROGRESS", None)
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_CONFIG_PATH=str(extra),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
    )
    if postbuild:
        subprocess.run([str(REPO_ROOT / "postBuild")], cwd=REPO_ROOT, env=env, check=True,
                       stdin=subprocess.DEVNULL, timeout=120)
    return env


def notebooks_branch(tmp: Path, html: Path) -> Path:
    """The layout of the branch the Pages workflow publishes: the repository's files (linked
    here) plus book/<chapter>.ipynb, the reader notebooks of the book build at `html`."""
    root = tmp / "notebooks-branch"
    (root / "book").mkdir(parents=True)
    for entry in REPO_ROOT.iterdir():
        if entry.name not in ("book", ".git", ".venv", "_build"):
            (root / entry.name).symlink_to(entry)
    for entry in (REPO_ROOT / "book").iterdir():
        if not (entry.suffix == ".ipynb"
                and (html / "_sources" / "book" / entry.name).is_file()):
            (root / "book" / entry.name).symlink_to(entry)
    copy_notebooks(html / "_sources", root)  # what the Pages workflow does
    for docname in CHAPTERS:
        assert (root / f"{docname}.ipynb").is_file(), f"no reader notebook for {docname}"
    return root


@contextlib.contextmanager
def jupyterlab(tmp: Path, postbuild: bool, root: Path = REPO_ROOT) -> Iterator[Lab]:
    env = lab_environment(tmp, postbuild)
    port, token = browser.free_port(), secrets.token_hex(24)
    log = tmp / "jupyterlab.log"
    cmd = [str(Path(sys.executable).with_name("jupyter-lab")), "--no-browser", "--allow-root",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           # Not a Binder setting: the checkpoint JupyterLab saves on opening a file goes here,
           # not into book/.ipynb_checkpoints.
           f"--FileCheckpoints.checkpoint_dir={tmp / 'checkpoints'}"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=root, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT)
    lab = Lab(f"http://127.0.0.1:{port}/", token, tmp / "workspaces", log, root)
    try:
        deadline = time.monotonic() + LAB_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
            try:
                lab.api("api/status")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield lab
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, built_book: Path) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("binder")
    with jupyterlab(tmp, postbuild=True, root=notebooks_branch(tmp, built_book)) as server:
        yield server


# --------------------------------------------------------------------------------------------
# The page


def launch_path(html: Path, docname: str) -> str:
    """The path the chapter's Binder launch button opens (its `urlpath`), e.g. lab/tree/book/x.md."""
    soup = BeautifulSoup((html / f"{docname}.html").read_text(encoding="utf8"), "html.parser")
    links = [a["href"] for a in soup.select('a[href*="mybinder.org"]')]
    assert links, f"{docname}: no Binder launch button"
    paths = parse_qs(urlsplit(links[0]).query).get("urlpath")
    assert paths, f"{docname}: the launch link names no urlpath: {links[0]}"
    return paths[0]


def page_reading(html: Path, docname: str) -> dict:
    """What the page shows that its notebook must show too: the glued numbers (myst-nb's
    pasted text), the package functions it includes, and its glued figures."""
    soup = BeautifulSoup((html / f"{docname}.html").read_text(encoding="utf8"), "html.parser")
    article = soup.select_one("article.bd-article")
    pasted = {" ".join(e.get_text().split()) for e in article.select(".pasted-text")}
    source = source_of(REPO_ROOT, docname).read_text(encoding="utf8")
    return {
        "numbers": sorted(p for p in pasted if p),
        "functions": sorted(set(re.findall(r"^:pyobject:\s*(?:\w+\.)?(\w+)\s*$", source,
                                           re.MULTILINE))),
        "figures": len(re.findall(r"^[`:]{3,}\{glue:figure\}", source, re.MULTILINE)),
    }


def figures_made_by_code(html: Path, docname: str) -> int:
    """Images on the built page that the chapter's cells drew (named by a content hash)."""
    soup = BeautifulSoup((html / f"{docname}.html").read_text(encoding="utf8"), "html.parser")
    return sum(bool(re.fullmatch(r"[0-9a-f]{64}", Path(urlsplit(img["src"]).path).stem))
               for img in soup.select("article.bd-article img"))


STATE = """
const panel = document.querySelector('.jp-MainAreaWidget.jp-NotebookPanel:not(.lm-mod-hidden)');
const dialog = document.querySelector('.jp-Dialog');
return {
  title: document.title,
  notebook: !!panel,
  editor: !!document.querySelector('.jp-FileEditor:not(.lm-mod-hidden)'),
  dialog: dialog ? dialog.textContent.trim().slice(0, 300) : null,
  status: panel ? [...panel.querySelectorAll('.jp-Notebook-ExecutionIndicator')]
      .map(e => e.getAttribute('data-status')).join() : null,
  prompts: panel ? [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
      .map(e => e.textContent.trim()) : [],
};
"""

# The figures drawn by code that a notebook shows: images in outputs (not collapsed), and the
# glued images embedded in Markdown (data URLs; a Markdown cell's own images have file paths).
FIGURES = """
const shown = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
const figures = [
    ...[...panel.querySelectorAll('.jp-OutputArea-output img, .jp-OutputArea-output svg')]
        .filter(shown),
    ...[...panel.querySelectorAll('.jp-MarkdownCell')]
        .map(c => c.querySelector('.myst, .jp-RenderedMarkdown')).filter(c => c)
        .flatMap(c => [...c.querySelectorAll('img[src^="data:"]')])];
"""

OUTPUTS = """
const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
const text = e => e.textContent.trim();
""" + FIGURES + """
return {
  errors: [...panel.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"], ' +
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], ' +
      '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]')].map(text),
  outputs: panel.querySelectorAll('.jp-OutputArea-output img, .jp-OutputArea-output svg').length,
  figures: figures.length,
};
"""

# The notebook's Markdown cells as JupyterLab (and jupyterlab-myst) rendered them.
READING = """
const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
// jupyterlab-myst renders a Markdown cell into a .myst widget (JupyterLab's own: .jp-RenderedMarkdown)
const cells = [...panel.querySelectorAll('.jp-MarkdownCell')]
    .map(c => c.querySelector('.myst, .jp-RenderedMarkdown')).filter(c => c);
const images = cells.flatMap(c => [...c.querySelectorAll('img')]);
""" + FIGURES + """
return {
  cells: panel.querySelectorAll('.jp-MarkdownCell').length,
  rendered: cells.length,
  text: cells.map(c => c.textContent).join('\\n'),
  images: images.length,
  figures: figures.length,
  broken: [...new Set([...images, ...figures])]
      .filter(i => i.tagName === 'IMG' && !(i.complete && i.naturalWidth > 0))
      .map(i => (i.getAttribute('alt') || '?').slice(0, 80)),
  captions: cells.filter(c => /Figure: /.test(c.textContent)).length,
};
"""

EXPAND = """
document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPlaceholder')
    .forEach(e => e.click());
"""

# A traceback, or an exception's name, in an error or stderr output. A progress bar is neither.
FAILURE = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception)\b")


def open_chapter(d, lab: Lab, path: str) -> dict:
    d.get(f"{lab.url}{path}?token={lab.token}")

    def opened():
        state = d.execute_script(STATE)
        if state["dialog"]:
            pytest.fail(f"{path}: JupyterLab shows a dialog: {state['dialog']}", pytrace=False)
        return state if state["notebook"] or state["editor"] else None

    return browser.wait_until(opened, OPEN_TIMEOUT, what=f"{path} to open")


def run_all_cells(d) -> None:
    """Run all cells from the command palette (Ctrl+Shift+C, as a reader would).

    Right after a notebook opens, JupyterLab may still be settling: the shortcut can be lost, or
    the palette's input can exist before it accepts keys. So the shortcut is pressed again (up to
    three times) until a visible palette takes the text."""
    from selenium.common.exceptions import ElementNotInteractableException, StaleElementReferenceException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def visible_palette():
        found = [e for e in d.find_elements(By.CSS_SELECTOR, ".lm-CommandPalette-input") if e.is_displayed()]
        return found[0] if found else None

    palette, problem = None, "no visible command palette"
    for _ in range(3):
        d.find_element(By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").click()
        (ActionChains(d).key_down(Keys.CONTROL).key_down(Keys.SHIFT).send_keys("c")
         .key_up(Keys.SHIFT).key_up(Keys.CONTROL).perform())
        deadline = time.monotonic() + 10
        while palette is None and time.monotonic() < deadline:
            candidate = visible_palette()
            if candidate is not None:
                try:
                    candidate.clear()
                    candidate.send_keys("Run All Cells")
                    palette = candidate
                except (ElementNotInteractableException, StaleElementReferenceException) as err:
                    problem = f"the palette did not take keys: {err.msg}"
            if palette is None:
                time.sleep(0.5)
        if palette is not None:
            break
        ActionChains(d).send_keys(Keys.ESCAPE).perform()
    if palette is None:
        pytest.fail(f"could not type into JupyterLab's command palette: {problem}", pytrace=False)

    def chosen():
        active = d.find_elements(By.CSS_SELECTOR, ".lm-CommandPalette-item.lm-mod-active "
                                                  ".lm-CommandPalette-itemLabel")
        return active and active[0].text.strip() == "Run All Cells"

    browser.wait_until(chosen, 20, what="'Run All Cells' in the command palette")
    palette.send_keys(Keys.ENTER)


def wait_for_the_run(d, path: str) -> dict:
    """Wait until no cell is queued or running and the kernel is idle, twice in a row, after the
    run has shown (a cell busy, or every cell numbered): the reader notebook comes with outputs
    but without execution counts, so `[ ]` marks a cell not run yet."""
    started = time.monotonic()
    calm, ran = 0, False
    while True:
        time.sleep(1.0)
        state = d.execute_script(STATE)
        if state["dialog"]:
            pytest.fail(f"{path}: JupyterLab shows a dialog: {state['dialog']}", pytrace=False)
        busy = any("*" in p for p in state["prompts"]) or state["status"] != "idle"
        ran = ran or busy or all(re.search(r"\[\d+\]", p) for p in state["prompts"])
        calm = 0 if busy else calm + 1
        if ran and calm >= 2 and time.monotonic() - started > 3:
            return state
        if time.monotonic() - started > RUN_TIMEOUT:
            pytest.fail(f"{path}: cells still running after {RUN_TIMEOUT} s: {state['prompts']}",
                        pytrace=False)


def hashes(paths: list[Path]) -> dict[str, str]:
    return {p.as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


# --------------------------------------------------------------------------------------------
# The tests


def test_binder_files_are_at_the_root(repo_root: Path) -> None:
    """repo2docker reads its files from binder/ if that folder exists, and then ignores the
    root; here everything is at the root."""
    assert not (repo_root / "binder").exists() and not (repo_root / ".binder").exists()
    assert (repo_root / "runtime.txt").read_text().strip() == "python-3.11"
    assert os.access(repo_root / "postBuild", os.X_OK)
    assert "-e ./code" in (repo_root / "requirements.txt").read_text().splitlines()


@on_the_book
def test_without_postbuild_a_chapter_opens_as_text(built_book: Path, tmp_path: Path) -> None:
    """The control: with JupyterLab's defaults a MyST chapter opens in the text editor, so the
    notebook that test_chapter_runs_in_jupyterlab sees is postBuild's doing."""
    if not CHAPTERS:
        pytest.skip("no notebook chapters in _toc.yml yet")
    path = f"lab/tree/{source_of(REPO_ROOT, CHAPTERS[0]).relative_to(REPO_ROOT).as_posix()}"
    with jupyterlab(tmp_path, postbuild=False) as server, browser.chromium(1280, 900) as d:
        state = open_chapter(d, server, path)
        assert state["editor"] and not state["notebook"], state


@on_the_book
@pytest.mark.parametrize("docname", CHAPTERS)
def test_chapter_runs_in_jupyterlab(built_book: Path, lab: Lab, docname: str) -> None:
    path = launch_path(built_book, docname)
    assert path == f"lab/tree/{docname}.ipynb", f"{docname}: Binder opens {path}"
    sources = sorted((REPO_ROOT / "book").glob("*.md"))
    before = hashes(sources)
    shots = built_book.parent / "screenshots" / "binder"
    shot = shots / docname.replace("/", "__")
    lab.reset()
    with browser.chromium(1280, 900) as d:
        try:
            state = open_chapter(d, lab, path)
            assert state["notebook"] and not state["editor"], (
                f"{path} opened as text, not as a notebook: {state}")
            browser.wait_until(lambda: d.execute_script(STATE)["status"] == "idle",
                               OPEN_TIMEOUT, what=f"{path}: the kernel to start")
            browser.wait_until(lambda: (lambda r: r["cells"] and r["rendered"] == r["cells"]
                                        and not r["broken"])(d.execute_script(READING)) or None,
                               OPEN_TIMEOUT, what=f"{path}: the Markdown cells to render")
            reading = d.execute_script(READING)
            with contextlib.suppress(Exception):
                d.get_screenshot_as_file(f"{shot}-before.png")
            if docname not in RUN_IN_LAB:
                return check_reading(built_book, lab, docname, path, reading)
            run_all_cells(d)
            wait_for_the_run(d, path)
            # A collapsed cell (the page hides its code) shows no prompt: expand them to read it.
            d.execute_script(EXPAND)
            state = browser.wait_until(
                lambda: (lambda s: s if not any(p == "" for p in s["prompts"]) else None)(
                    d.execute_script(STATE)), 20, what=f"{path}: the collapsed cells to expand")
            outputs = d.execute_script(OUTPUTS)
        finally:
            shots.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(Exception):  # a screenshot is a courtesy: never mask a failure
                d.execute_script("const f = document.querySelector('.jp-OutputArea-output img');"
                                 "if (f) f.scrollIntoView({block: 'center'});")
                d.get_screenshot_as_file(f"{shot}.png")
    lab.reset()
    check_reading(built_book, lab, docname, path, reading)
    check_run(built_book, docname, path, state, outputs)
    assert hashes(sources) == before, "JupyterLab changed a chapter's source"


def test_the_cheap_chapters_are_run_in_jupyterlab() -> None:
    """The rule above runs half the chapters in JupyterLab, the preface among them, and every one
    it leaves out costs more than every one it runs."""
    assert "book/preface" in RUN_IN_LAB and len(RUN_IN_LAB) >= len(CHAPTERS) // 2, RUN_IN_LAB
    left_out = [d for d in CHAPTERS if d not in RUN_IN_LAB]
    assert all(_wall_s(d) >= max(map(_wall_s, RUN_IN_LAB)) for d in left_out), _BUDGET


def check_reading(built_book: Path, lab: Lab, docname: str, path: str, reading: dict) -> None:
    """The notebook, rendered in JupyterLab before any cell runs, reads like the page."""
    reader = nbformat.read(lab.root / f"{docname}.ipynb", as_version=4)
    markdown = sum(c.cell_type == "markdown" for c in reader.cells)
    assert reading["rendered"] == markdown, (
        f"{path}: {reading['rendered']} of {markdown} Markdown cells rendered")
    text = " ".join(reading["text"].split())
    raw = sorted({m.group(0) for m in RAW_MYST.finditer(reading["text"])})
    assert not raw, f"{path}: raw MyST in the rendered notebook: {raw}"
    page = page_reading(built_book, docname)
    missing = [n for n in page["numbers"] if n not in text]
    assert not missing, f"{path}: numbers the page shows but the notebook does not: {missing}"
    absent = [f for f in page["functions"] if f"def {f}(" not in text]
    assert not absent, f"{path}: package source the page shows but the notebook does not: {absent}"
    assert not reading["broken"], f"{path}: images that do not load: {reading['broken']}"
    drawn = figures_made_by_code(built_book, docname)
    assert reading["figures"] == drawn and reading["captions"] >= page["figures"], (
        f"{path}: the page shows {drawn} figure(s) drawn by its code, {page['figures']} of them "
        f"glued with captions; the notebook, as opened, shows {reading['figures']} figure(s) "
        f"and {reading['captions']} caption(s)")
    # Its structure, for every chapter (only some run here): each figure once, in the same cell,
    # as opened and after Run All (what JupyterLab shows: see test_reader_notebooks.py).
    before, after = figures_shown(reader, run=False), figures_shown(reader, run=True)
    assert len(before) == drawn and [i for i, _ in after] == [i for i, _ in before], (
        f"{path}: the page shows {drawn} figure(s); the notebook shows them in cells "
        f"{[i for i, _ in before]} as opened and {[i for i, _ in after]} after Run All")


def check_run(built_book: Path, docname: str, path: str, state: dict, outputs: dict) -> None:
    """Every code cell ran, none failed, and the figures the code draws show in JupyterLab."""
    assert state["prompts"], f"{path}: no code cells in the notebook"
    not_run = [i for i, p in enumerate(state["prompts"], 1) if not re.search(r"\[\d+\]", p)]
    failures = [e[:600] for e in outputs["errors"] if FAILURE.search(e)]
    assert not failures, f"{path}: cells failed:\n" + "\n---\n".join(failures)
    assert not not_run, f"{path}: code cells not run: {not_run} of {len(state['prompts'])}"
    drawn = figures_made_by_code(built_book, docname)
    assert outputs["outputs"] >= min(drawn, 1), (
        f"{path}: the built page has {drawn} figure(s) drawn by the chapter's code, but JupyterLab "
        "shows none: a figure that is only glued with display=False appears only in the book. "
        "glue it with display on and tag its cell remove-output, so Binder shows it too.")
    assert outputs["figures"] == drawn, (
        f"{path}: after Run All JupyterLab shows {outputs['figures']} figure(s), the page {drawn}: "
        "each figure must show once (tools/reader_notebooks.py, 'Figures')")


def test_failures_are_told_from_progress_bars() -> None:
    """The error check flags tracebacks and exceptions, not tqdm's bars on stderr."""
    assert FAILURE.search("ValueError                                Traceback (most recent")
    assert FAILURE.search("ZeroDivisionError: division by zero")
    assert not FAILURE.search("epochs: 100%|██████████| 5/5 [00:03<00:00, 1.52it/s, loss=0.2]")
    assert not FAILURE.search("training error 2.3% after 3 epochs")
