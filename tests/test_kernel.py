"""A chapter's kernel is this environment's, and it imports the book's package from code/."""

from __future__ import annotations

import sys
from pathlib import Path

from jupyter_client.manager import KernelManager

CELL = """\
import sys, code, nnscratch
print(nnscratch.__file__)
print(code.__file__)
print(sys.prefix)
"""


def run_in_kernel(source: str, cwd: Path) -> tuple[dict, list[dict]]:
    """Run one cell in a fresh `python3` kernel (the chapters' kernelspec), then shut it down."""
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(cwd))
    try:
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            outputs: list[dict] = []
            reply = kc.execute_interactive(source, timeout=60, output_hook=outputs.append)
        finally:
            kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)
    return reply, outputs


def test_kernel_imports_the_package_from_code(repo_root: Path) -> None:
    reply, outputs = run_in_kernel(CELL, cwd=repo_root / "book")

    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    stderr = [m["content"]["text"] for m in outputs
              if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"]
    assert reply["content"]["status"] == "ok", errors
    assert not errors and not stderr, (errors, stderr)

    stdout = "".join(m["content"]["text"] for m in outputs
                     if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
    package_file, code_file, prefix = (Path(line) for line in stdout.split())
    assert package_file.resolve().is_relative_to(repo_root / "code" / "nnscratch"), package_file
    # `code` stays the standard library's module: the repository's code/ folder must not shadow it.
    assert not code_file.resolve().is_relative_to(repo_root), code_file
    # The kernel runs in the environment that runs the tests (and the book build).
    assert prefix == Path(sys.prefix), (prefix, sys.prefix)
