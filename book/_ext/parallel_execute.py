"""Sphinx extension: execute the chapters that need it several at a time, before Sphinx reads them.

Why. With ``execute_notebooks: cache`` myst-nb executes a chapter while Sphinx reads it, and Sphinx
reads one page after another, so a clean build runs the chapters one at a time: on two cores, one
core waits while the other runs a chapter. The chapters are independent (each starts its own
kernel and makes its own ``rng``), so nothing but this order keeps them from running side by side.

What it does. Just before Sphinx reads the pages it is about to read (``env-before-read-docs``),
for each of them:

1. it makes the notebook exactly as myst-nb's parser will: the source after the ``source-read``
   handlers, read by myst-nb's own reader, with the notebook's own ``mystnb`` settings applied;
2. it skips the page if it is no notebook, if those settings do not say ``cache``, or if
   jupyter-cache already holds an execution of these code cells;
3. it executes the remaining notebooks with ``nbclient`` in a pool of ``jobs`` threads (each
   notebook in a kernel of its own, from the notebook's folder, with myst-nb's timeout and
   ``allow_errors``), the longest first (``nnscratch_execute_times``, a JSON of earlier runs), and
   stores every successful execution in jupyter-cache, as myst-nb itself does
   (``myst_nb/core/execute/cache.py``).

Sphinx then reads the pages as before, and myst-nb finds each execution in the cache ("Using
cached notebook"). A notebook that failed here is simply not stored: myst-nb executes it again while
reading, and reports the error with its traceback the usual way (``raise_on_error`` stops the build).
So the pages, the cache and every error report are what a build without this extension gives;
only the order in time changes.

Each kernel gets the build's environment, plus:

* ``NNSCRATCH_BUDGET_DOC``: the chapter it runs (book/_ext/kernel_budget.py records its memory
  under that name);
* with more than one job, one BLAS/OpenMP thread (``OMP_NUM_THREADS`` and friends), unless the
  build's environment already sets them, so that jobs × threads does not exceed the cores. That is
  also how `make budget` measures the chapters (one thread, two at a time).

How many at a time: ``NNSCRATCH_EXECUTE_JOBS`` if set (1 turns the extension off), else the
config value ``nnscratch_execute_jobs``, else the number of cores this process may use, at most 4
(memory: the largest chapter peaks near 1.5 GB).

In _config.yml:

    sphinx:
      local_extensions:
        parallel_execute: book/_ext
      config:
        nnscratch_execute_times: book/budget.json
"""

from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path, PurePosixPath
from typing import Any

from sphinx.util import logging

logger = logging.getLogger(__name__)

JOBS_VAR = "NNSCRATCH_EXECUTE_JOBS"
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
MAX_AUTO_JOBS = 4


def resolve_jobs(config_value: int | None) -> int:
    """How many notebooks to execute at a time (see the module's docstring)."""
    raw = os.environ.get(JOBS_VAR, "").strip()
    if raw:
        try:
            jobs = int(raw)
        except ValueError:
            raise ValueError(f"{JOBS_VAR}={raw!r} is no whole number: set it to the number of "
                             "chapters to execute at a time (1 executes them one by one)") from None
    elif config_value:
        jobs = int(config_value)
    else:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        jobs = min(cores or 1, MAX_AUTO_JOBS)
    if jobs < 1:
        raise ValueError(f"{JOBS_VAR} (or nnscratch_execute_jobs) is {jobs}: it must be at least 1")
    return jobs


def earlier_times(srcdir: Path, name: str | None) -> dict[str, float]:
    """Seconds per chapter from an earlier run (book/budget.json's ``chapters``), keyed by docname."""
    if not name:
        return {}
    from kernel_budget import recorded_wall_s  # book/_ext, beside this file

    try:
        seconds = recorded_wall_s(srcdir / name)
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # only the order of the executions depends on it: unknown times go first
    return {f"book/{chapter}": s for chapter, s in seconds.items()}


def notebook_as_myst_nb_reads_it(app, env, docname: str):
    """(notebook, read_fmt, nb_config) as myst-nb's parser will make them, or None if no notebook."""
    from myst_nb.core.config import NbParserConfig  # noqa: F401  (myst-nb is loaded)
    from myst_nb.core.read import create_nb_reader
    from myst_nb.core.nb_to_tokens import nb_node_to_dict

    path = Path(env.doc2path(docname))
    text = [path.read_text(encoding="utf8")]
    app.events.emit("source-read", docname, text)
    nb_config = env.mystnb_config
    reader = create_nb_reader(str(path), env.myst_config, nb_config, text[0])
    if reader is None:
        return None
    notebook = reader.read(text[0])
    kernel_name = notebook.metadata.get("kernelspec", {}).get("name", None)
    if kernel_name is not None and nb_config.kernel_rgx_aliases:
        for rgx, alias in nb_config.kernel_rgx_aliases.items():
            if re.fullmatch(rgx, kernel_name):
                notebook.metadata["kernelspec"]["name"] = alias
                break
    if nb_config.metadata_key in notebook.metadata:
        overrides = nb_node_to_dict(notebook.metadata[nb_config.metadata_key])
        overrides.pop("output_folder", None)
        nb_config = nb_config.copy(**overrides)
    return notebook, reader.read_fmt, nb_config


def excluded(path: Path, nb_config) -> bool:
    posix = PurePosixPath(path.as_posix())
    return any(posix.match(pattern) for pattern in nb_config.execution_excludepatterns or ())


def execute(notebook, cwd: str, timeout, allow_errors: bool, env: dict[str, str]):
    """Execute one notebook in place in a fresh kernel: (seconds, error or None)."""
    from nbclient import NotebookClient

    if "execution" in notebook.metadata:  # as jupyter-cache's single_nb_execution (meta_override)
        timeout = notebook.metadata.execution.get("timeout", timeout)
        allow_errors = notebook.metadata.execution.get("allow_errors", allow_errors)
    start = time.perf_counter()
    # record_timing=False as jupyter-cache executes: the cache's hash covers cell metadata, and
    # timing metadata would make the stored execution match no notebook that Sphinx reads.
    client = NotebookClient(notebook, timeout=timeout, allow_errors=allow_errors,
                            record_timing=False, resources={"metadata": {"path": cwd}})
    try:
        client.execute(env=env)
    except Exception as err:  # reported by myst-nb when it executes the notebook again
        return time.perf_counter() - start, err
    return time.perf_counter() - start, None


def pre_execute(app, env, docnames: list[str]) -> None:
    nb_config = env.mystnb_config
    if nb_config.execution_mode != "cache" or not docnames:
        return
    jobs = resolve_jobs(app.config.nnscratch_execute_jobs)
    if jobs < 2:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(nb_config.execution_cache_path or ".jupyter_cache")
    todo = []
    for docname in docnames:
        made = notebook_as_myst_nb_reads_it(app, env, docname)
        if made is None:
            continue
        notebook, read_fmt, config = made
        path = Path(env.doc2path(docname))
        if config.execution_mode != "cache" or excluded(path, config):
            continue
        try:
            cache.match_cache_notebook(notebook)
            continue  # executed before: myst-nb takes it from the cache
        except KeyError:
            pass
        todo.append((docname, path, notebook, read_fmt, config))
    if len(todo) < 2:
        return  # nothing to run side by side: myst-nb executes it while reading, as usual
    times = earlier_times(Path(app.srcdir), app.config.nnscratch_execute_times)
    todo.sort(key=lambda item: -times.get(item[0], 0.0))
    jobs = min(jobs, len(todo))
    logger.info(f"parallel_execute: executing {len(todo)} notebooks, {jobs} at a time")

    base_env = dict(os.environ)
    for var in THREAD_VARS:
        base_env.setdefault(var, "1")
    start = time.perf_counter()
    stored = failed = 0
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="nb-execute") as pool:
        futures = {}
        for docname, path, notebook, read_fmt, config in todo:
            kernel_env = dict(base_env, NNSCRATCH_BUDGET_DOC=docname)
            cwd = str(path.parent.resolve())
            futures[pool.submit(execute, notebook, cwd, config.execution_timeout,
                                config.execution_allow_errors, kernel_env)] = (
                docname, path, notebook, read_fmt)
        for future in as_completed(futures):
            docname, path, notebook, read_fmt = futures[future]
            seconds, error = future.result()
            if error is not None:
                failed += 1
                logger.info(f"parallel_execute: {docname} failed ({type(error).__name__}) after "
                            f"{seconds:.1f} s; it executes again while read, which reports why")
                continue
            # The database is written from this thread only.
            if read_fmt is not None:
                stage = cache.add_nb_to_project(str(path), read_data=read_fmt)
            else:
                stage = cache.add_nb_to_project(str(path))
            cache.cache_notebook_bundle(
                CacheBundleIn(notebook, stage.uri, data={"execution_seconds": seconds}),
                check_validity=False, overwrite=True)
            stored += 1
            logger.info(f"parallel_execute: {docname} executed in {seconds:.1f} s")
    logger.info(f"parallel_execute: {stored} notebooks executed and cached, {failed} failed, "
                f"in {time.perf_counter() - start:.1f} s with {jobs} at a time")


def setup(app) -> dict[str, Any]:
    app.setup_extension("myst_nb")
    app.add_config_value("nnscratch_execute_jobs", None, "env")
    app.add_config_value("nnscratch_execute_times", None, "env")
    app.connect("env-before-read-docs", pre_execute, priority=900)  # after the others' reorderings
    return {"parallel_read_safe": True, "parallel_write_safe": True}
