"""Sphinx extension: re-execute the chapters that import our package when the package changes.

The idea: outputs made with one version of the package are thrown away when the package changes.

Why it is needed. With `execute_notebooks: cache`, myst-nb stores each executed notebook in
jupyter-cache, keyed by a hash of the notebook's code cells (their source and metadata) and its
kernelspec, nothing else. Prose edits do not re-execute a chapter, which is what makes rebuilds
fast. But the chapters import `nnscratch`, and a change to the package changes no notebook, so the
cache would go on serving outputs computed by the old code. Sphinx has the same blind spot one
level up: it re-reads only the pages whose source file changed, so it would not even ask myst-nb.

What this extension does, on every build:

1. It hashes the package: SHA-256 over every `*.py` file under the folders named in
   `nnscratch_watch_paths` (relative to the repository root), sorted by path, each file's path
   and contents (so an edit, a new file, a deletion and a rename all change the hash).
2. It compares that with the hash stamped in the execution cache folder by the last successful
   build (`package_watch.sha256`, beside jupyter-cache's own `global.db`).
3. If they differ, or there is no stamp, it removes from jupyter-cache the executions of every
   chapter whose source mentions the package by name (`nnscratch` for `code/nnscratch`), and tells
   Sphinx to re-read those chapters. myst-nb then finds nothing cached and executes them afresh.
   It logs one line saying so.
4. When the build has finished without an error, it writes the new stamp. (Written any earlier, an
   interrupted build would leave a stamp that claims pages are up to date when they are not.)

Limits: "mentions the package" is a plain word match in the chapter's source, so a chapter that
only reaches the package through another module would be missed; every chapter here imports it
directly. Only `*.py` files count: a data file inside the package is not watched.

In _config.yml:

    sphinx:
      local_extensions:
        package_watch: book/_ext
      config:
        nnscratch_watch_paths: [code/nnscratch]
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from sphinx.util import logging

logger = logging.getLogger(__name__)

STAMP_NAME = "package_watch.sha256"
CACHE_DB_NAME = "global.db"  # jupyter-cache's database file (jupyter_cache/cache/db.py, DB_NAME)


def package_hash(srcdir: Path, watch_paths: list[str]) -> str:
    """SHA-256 over the sorted relative paths and contents of every *.py file under watch_paths."""
    files = sorted({p for folder in watch_paths for p in (srcdir / folder).rglob("*.py")})
    digest = hashlib.sha256()
    for path in files:
        name = path.relative_to(srcdir).as_posix().encode()
        content = path.read_bytes()
        # Each part's length first, so where a path or a file ends is part of what is hashed.
        digest.update(b"%d:%s%d:" % (len(name), name, len(content)))
        digest.update(content)
    return digest.hexdigest()


def mentions(path: Path, names: list[str]) -> bool:
    try:
        text = path.read_text(encoding="utf8")
    except OSError:
        return False
    return any(re.search(rf"\b{re.escape(name)}\b", text) for name in names)


class PackageWatch:
    """The state of one build: the package's hash now, and whether it differs from the stamp."""

    def __init__(self) -> None:
        self.watch_paths: list[str] = []
        self.names: list[str] = []
        self.current: str | None = None  # the package's hash in this build
        self.changed = False  # does the package differ from the one the cached outputs used?
        self.cache_dir: Path | None = None

    def builder_inited(self, app) -> None:
        """Hash the package, compare with the stamp, and forget stale executions."""
        srcdir = Path(app.srcdir)
        self.watch_paths = list(app.config.nnscratch_watch_paths)
        for folder in self.watch_paths:
            if not (srcdir / folder).is_dir():
                logger.warning(f"package_watch: {folder!r} in nnscratch_watch_paths is no folder "
                               f"in {srcdir}")
        # The package's import name is its folder's name: code/nnscratch -> nnscratch.
        self.names = [Path(folder).name for folder in self.watch_paths]
        self.current = package_hash(srcdir, self.watch_paths)
        # myst-nb has resolved its cache folder by now (in its own builder-inited handler, which
        # runs first): nb_execution_cache_path, or <outdir>/../.jupyter_cache when that is empty.
        self.cache_dir = Path(app.env.mystnb_config.execution_cache_path)
        stamp = self.cache_dir / STAMP_NAME
        previous = stamp.read_text(encoding="utf8").strip() if stamp.is_file() else None
        paths = ", ".join(self.watch_paths)
        if previous == self.current:
            logger.info(f"package_watch: {paths} unchanged since the last build")
            return
        self.changed = True
        removed = self.forget_executions()
        reason = "changed since the last build" if previous else "has no stamp of a last build"
        logger.info(f"package_watch: {paths} {reason}: every page that mentions "
                    f"{', '.join(self.names)} re-executes ({removed} cached executions removed)")

    def forget_executions(self) -> int:
        """Remove from jupyter-cache the executions of every notebook that mentions the package.

        Kept are only executions of a notebook that still exists and does not mention the
        package. Returns how many were removed.
        """
        if not (self.cache_dir / CACHE_DB_NAME).is_file():
            return 0  # no cache yet: nothing to forget
        from jupyter_cache import get_cache
        from jupyter_cache.cache.db import NbCacheRecord

        cache = get_cache(self.cache_dir)
        removed = 0
        for record in cache.list_cache_records():
            source = Path(record.uri)  # the notebook that was executed (an absolute path)
            if source.is_file() and not mentions(source, self.names):
                continue
            try:
                cache.remove_cache(record.pk)  # the executed copy and its database record
            except KeyError:  # the executed copy is already gone: drop the record alone
                NbCacheRecord.remove_records([record.pk], cache.db)
            removed += 1
        return removed

    def env_get_outdated(self, app, env, added, changed, removed) -> set[str]:
        """Add the pages that mention the package to those Sphinx re-reads (and so re-executes)."""
        if not self.changed:
            return set()
        return {d for d in env.found_docs - added if mentions(Path(env.doc2path(d)), self.names)}

    def build_finished(self, app, exception) -> None:
        """Stamp the cache with the hash of the package these outputs were made with."""
        if exception is not None or self.current is None or self.cache_dir is None:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        (self.cache_dir / STAMP_NAME).write_text(self.current + "\n", encoding="utf8")


def setup(app) -> dict[str, Any]:
    app.setup_extension("myst_nb")
    app.add_config_value("nnscratch_watch_paths", [], "env", list)
    watch = PackageWatch()
    # After myst-nb's own builder-inited handler (priority 500), which sets the cache path.
    app.connect("builder-inited", watch.builder_inited, priority=600)
    app.connect("env-get-outdated", watch.env_get_outdated)
    app.connect("build-finished", watch.build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
