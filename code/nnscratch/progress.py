"""Progress bars that show when a person is watching and stay quiet in the static build.

Shown when ``NNSCRATCH_PROGRESS=1``; hidden when ``NNSCRATCH_PROGRESS=0`` (the book's build sets
this in its kernels itself, book/_ext/quiet_build.py, so no progress bar lands in the built pages);
otherwise shown in a terminal or a Jupyter kernel.

Uses tqdm's plain text bar (which renders in JupyterLab and needs no ipywidgets) when tqdm is
installed, and nothing when it is not.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["progress_enabled", "progress_bar"]


def progress_enabled(progress: bool | None = None) -> bool:
    """Resolve a ``progress`` argument: True/False win; None means decide from the environment."""
    if progress is not None:
        return bool(progress)
    setting = os.environ.get("NNSCRATCH_PROGRESS", "").strip()
    if setting in ("0", "1"):
        return setting == "1"
    interactive_terminal = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
    return interactive_terminal or "ipykernel" in sys.modules


class _Silent:
    """Stands in for a tqdm bar when progress is off."""

    def update(self, n: int = 1) -> None: ...
    def set_postfix_str(self, s: str) -> None: ...
    def close(self) -> None: ...


def progress_bar(total: int, desc: str = "", progress: bool | None = None, **kwargs: Any) -> Any:
    """A tqdm text bar over ``total`` steps, or a silent stand-in (same methods) when disabled."""
    if not progress_enabled(progress):
        return _Silent()
    try:
        from tqdm.std import tqdm
    except ImportError:
        return _Silent()
    return tqdm(total=total, desc=desc, file=sys.stderr, dynamic_ncols=True, **kwargs)
