"""Sphinx extension: the static build shows no progress bars, however it is started.

The chapters' long loops draw a progress bar (nnscratch.progress) when a person is watching: in
a terminal or in a Jupyter kernel, unless NNSCRATCH_PROGRESS says otherwise. The kernels that
execute the chapters during a build are Jupyter kernels too, so without a word from the build
they would draw their bars on stderr, and stderr in a cell fails the build (`stderr_output: warn`
with -W) and would land in the pages.

This extension sets NNSCRATCH_PROGRESS=0 in the build process's own environment when Sphinx
loads it, before any notebook executes. myst-nb executes notebooks through jupyter-cache and
nbclient in this process, and jupyter_client starts each kernel with a copy of this process's
environment, so every executing kernel sees the setting. It works the same for
`jupyter-book build .`, `make book`, `sphinx-build` and the Pages workflow (which runs make), and
for the student edition and the single-page build of the PDF, which read the same _config.yml.

A reader's JupyterLab (or Binder) starts its kernels from its own environment, which this never
touches: there the bars show. The setting is forced, not defaulted: a static page cannot show a
progress bar, so NNSCRATCH_PROGRESS=1 in a build would only fail it.

In _config.yml:

    sphinx:
      local_extensions:
        quiet_build: book/_ext
"""

from __future__ import annotations

import os
from typing import Any

VARIABLE = "NNSCRATCH_PROGRESS"


def setup(app) -> dict[str, Any]:
    os.environ[VARIABLE] = "0"
    return {"parallel_read_safe": True, "parallel_write_safe": True}
