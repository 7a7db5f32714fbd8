"""Each executed chapter's kernel records its own peak memory (Binder's budget, `make budget`).

Binder stops a server that grows past 2 GB, so every chapter must run within that from a fresh
kernel. The exact peak resident memory of a process is its high-water mark, ``VmHWM`` in
``/proc/<pid>/status`` (Linux). Here the kernel itself reads it: an IPython startup file,
installed into a private IPython folder (``IPYTHONDIR``), registers a ``post_run_cell`` hook that,
after every cell, writes the kernel's ``VmHWM``, the time since the kernel started and the BLAS
thread counts to a small JSON file. The peak only grows, so the file written after the last cell
holds the chapter's peak. The measured process is the kernel, the one that runs the chapter's
code (not the Sphinx process or nbclient around it).

Two users:

* ``tools/budget.py`` (`make budget`) runs each chapter in a fresh kernel with one BLAS thread
  and names the file with ``NNSCRATCH_BUDGET_FILE``.
* This Sphinx extension: when the book is built with ``NNSCRATCH_BUDGET_DIR`` set (the test
  session's build does it, tests/conftest.py), every chapter the build executes leaves
  ``<dir>/<docname>.json``, so tests/test_budget.py checks the peaks without running any chapter
  again. The kernel learns its chapter from ``NNSCRATCH_BUDGET_DOC``, set on ``source-read``,
  just before myst-nb executes that chapter (with ``execute_notebooks: cache`` a chapter is
  executed while it is read, in a kernel started from this process's environment).

Without ``NNSCRATCH_BUDGET_DIR`` the extension does nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

DIR_VAR = "NNSCRATCH_BUDGET_DIR"    # the folder of a book build's records
FILE_VAR = "NNSCRATCH_BUDGET_FILE"  # the record of one kernel
DOC_VAR = "NNSCRATCH_BUDGET_DOC"    # the chapter being executed (set by the extension)
RECORD = Path(__file__).resolve().parent.parent / "budget.json"  # book/budget.json


def recorded_wall_s(record: str | Path = RECORD) -> dict[str, float]:
    """Each chapter's one-thread wall time in seconds, by chapter name ("training"), as the last
    `make budget ARGS=--write` recorded it in book/budget.json. The one reader of that record's
    times: the build orders its executions by them, and the browser and handout tests pick by them
    which chapters to run a second time."""
    chapters = json.loads(Path(record).read_text(encoding="utf8"))["chapters"]
    return {name: float(row["wall_s"]) for name, row in chapters.items()}

# Runs in the kernel, in the user's namespace: everything lives inside _install and is deleted.
STARTUP = r'''
def _nnscratch_budget_install():
    import json, os, sys, time
    start = time.time()
    target = os.environ.get("NNSCRATCH_BUDGET_FILE")
    folder, doc = os.environ.get("NNSCRATCH_BUDGET_DIR"), os.environ.get("NNSCRATCH_BUDGET_DOC")
    if not target and folder and doc:
        target = os.path.join(folder, doc.replace("/", "__") + ".json")
    if not target:
        return

    def status_kib(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise RuntimeError(f"/proc/self/status has no {field}")

    def blas_threads():
        if "numpy" not in sys.modules:
            return {}
        try:
            from threadpoolctl import threadpool_info
        except ImportError:
            return {}
        return {f"{i['user_api']}:{i['internal_api']}": i["num_threads"] for i in threadpool_info()}

    peaks = []  # the peak after each cell, so a rise can be traced to its cell

    def record(result=None):
        peaks.append(status_kib("VmHWM"))
        data = {"doc": doc, "pid": os.getpid(), "cells": len(peaks),
                "peak_kib": peaks[-1], "rss_kib": status_kib("VmRSS"), "cell_peaks_kib": peaks,
                "seconds": time.time() - start, "threads": blas_threads(),
                "failed": bool(result is not None and not result.success)}
        tmp = target + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, target)

    get_ipython().events.register("post_run_cell", record)


_nnscratch_budget_install()
del _nnscratch_budget_install
'''


def install_startup(ipython_dir: Path) -> Path:
    """Write the recording startup file into ``<ipython_dir>/profile_default/startup``."""
    startup = Path(ipython_dir) / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    file = startup / "00-nnscratch-budget.py"
    file.write_text(STARTUP)
    return file


def _on_source_read(app, docname: str, source: list[str]) -> None:
    os.environ[DOC_VAR] = docname


def setup(app):
    folder = os.environ.get(DIR_VAR)
    if folder:
        folder = Path(folder).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        os.environ[DIR_VAR] = str(folder)
        ipython_dir = folder / ".ipython"
        install_startup(ipython_dir)
        os.environ["IPYTHONDIR"] = str(ipython_dir)
        app.connect("source-read", _on_source_read)
    # One process-wide variable names the chapter being read: not with parallel reading.
    return {"parallel_read_safe": not folder, "parallel_write_safe": True}
