"""The book builds quietly however it is started, and a reader's kernel still shows progress bars.

The session's book build (conftest.book_build) is the plain command: `jupyter-book build` with no
NNSCRATCH_PROGRESS in its environment, as a reader's shell has it. book/_ext/quiet_build.py turns
the bars off in the build's kernels; here a small Sphinx project shows that an executing kernel
sees them off with the extension and on without it, and a kernel started the way JupyterLab
starts one (from an environment without the variable) has them on.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from conftest import BOOK_BUILD_TIMEOUT, REPO_ROOT, BookBuild, book_env

VARIABLE = "NNSCRATCH_PROGRESS"

# tqdm's bar as it reaches a log: "42%|████▏     | 420/1000 [00:01<00:02, 250.00it/s]"
PROGRESS_BAR = re.compile(r"\d+%\|.*\|\s*\d+/\d+\s*\[")

REPORT = ("import os\n"
          "from nnscratch.progress import progress_enabled\n"
          "print('variable:', os.environ.get('NNSCRATCH_PROGRESS'), 'shown:', progress_enabled())")


def environment_without_variable() -> dict[str, str]:
    env = dict(os.environ)
    env.pop(VARIABLE, None)
    return env


@pytest.mark.book
@pytest.mark.timeout(BOOK_BUILD_TIMEOUT + 300)
def test_the_session_build_is_the_plain_command_and_has_no_warning(book_build: BookBuild) -> None:
    assert VARIABLE not in book_env(), "the session's build must run without NNSCRATCH_PROGRESS"
    assert book_build.returncode == 0, book_build.tail()
    # With -W every warning fails the build; say which if there were any.
    warnings = [line for line in book_build.log.splitlines() if re.search(r"\bWARNING:", line)]
    assert not warnings, warnings[:20]
    assert "build succeeded" in book_build.log, book_build.tail()
    bars = [line for line in book_build.log.splitlines() if PROGRESS_BAR.search(line)]
    assert not bars, bars[:5]


def sphinx_project(folder: Path, extensions: list[str]) -> Path:
    """A one-page Sphinx project whose page is a notebook that reports its kernel's setting."""
    folder.mkdir(parents=True)
    (folder / "conf.py").write_text(textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(REPO_ROOT / 'book' / '_ext')!r})
        extensions = {extensions!r}
        nb_execution_mode = "cache"
        nb_execution_raise_on_error = True
        """), encoding="utf8")
    (folder / "index.md").write_text(textwrap.dedent("""\
        ---
        kernelspec:
          name: python3
          display_name: Python 3
        jupytext:
          text_representation:
            extension: .md
            format_name: myst
        ---
        # Report

        ```{code-cell} ipython3
        """) + REPORT + "\n```\n", encoding="utf8")
    return folder


def kernel_report_in_a_build(tmp_path: Path, extensions: list[str]) -> str:
    source = sphinx_project(tmp_path / "src", extensions)
    out = tmp_path / "html"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", str(source),
                           str(out)], env=environment_without_variable(),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = (out / "index.html").read_text(encoding="utf8")
    match = re.search(r"variable: (\S+) shown: (True|False)", html)
    assert match, "the page shows no output of its cell"
    return match.group(0)


def test_a_builds_kernels_see_progress_off(tmp_path: Path) -> None:
    assert kernel_report_in_a_build(tmp_path / "quiet", ["myst_nb", "quiet_build"]) == (
        "variable: 0 shown: False")
    # The control: the same build without the extension would draw bars (and fail the book).
    assert kernel_report_in_a_build(tmp_path / "plain", ["myst_nb"]) == (
        "variable: None shown: True")


def test_a_kernel_started_as_jupyterlab_does_shows_progress(repo_root: Path) -> None:
    """JupyterLab (and Binder) start a kernel with a copy of the server's environment."""
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(repo_root / "book"), env=environment_without_variable())
    try:
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            outputs: list[dict] = []
            source = REPORT + ("\nfrom nnscratch.progress import progress_bar\n"
                               "bar = progress_bar(3, 'steps')\nbar.update(3)\nbar.close()")
            reply = kc.execute_interactive(source, timeout=60, output_hook=outputs.append)
        finally:
            kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok", outputs
    streams = {"stdout": "", "stderr": ""}
    for m in outputs:
        if m["msg_type"] == "stream":
            streams[m["content"]["name"]] += m["content"]["text"]
    assert streams["stdout"].strip() == "variable: None shown: True", streams
    assert PROGRESS_BAR.search(streams["stderr"]) and "3/3" in streams["stderr"], streams
