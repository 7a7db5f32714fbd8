"""The reader notebooks of a book build, laid out as the `notebooks` branch holds them.

    python3 tools/notebooks_branch.py --sources _build/html/_sources --into <checkout>

The book build writes each chapter's reader notebook where the page's download menu links it,
<site>/_sources/book/<chapter>.ipynb (book/_ext/reader_edition.py). The Pages workflow
(.github/workflows/book.yml) copies them with this script into a checkout of the commit it built,
as book/<chapter>.ipynb beside book/<chapter>.md, and pushes that as the branch named in
_config.yml (`nnscratch_notebooks_branch`): the chapters' Binder and Colab buttons open
book/<chapter>.ipynb there. Nothing else is changed, so Binder finds requirements.txt, postBuild
and code/ as on main. Standard library only (the workflow's job has no virtual environment).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path


def copy_notebooks(sources: Path, into: Path) -> list[Path]:
    """Copy every <sources>/**/<name>.ipynb to <into>/**/<name>.ipynb; return the copies."""
    copied = []
    for notebook in sorted(sources.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in notebook.parts:
            continue
        cells = json.loads(notebook.read_text(encoding="utf8"))["cells"]
        if not cells or "install-nnscratch" not in cells[0].get("metadata", {}).get("tags", []):
            raise SystemExit(f"{notebook} is not a reader notebook (no install cell first): "
                             "was the book built with book/_ext/reader_edition.py?")
        target = into / notebook.relative_to(sources)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, target)
        copied.append(target)
    if not copied:
        raise SystemExit(f"no notebooks under {sources}: build the book first (make rebuild)")
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path, required=True,
                        help="the built site's _sources folder (_build/html/_sources)")
    parser.add_argument("--into", type=Path, required=True, help="the checkout to copy into")
    args = parser.parse_args(argv)
    for path in copy_notebooks(args.sources, args.into):
        print(f"notebooks branch: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
