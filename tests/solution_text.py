"""Distinctive text of the book's solutions, and where it occurs: for the tests that prove the
student edition and the handouts hold none of it.

A marker is a piece of a solution that appears nowhere else in the book's sources: a run of at
least five plain words of its prose (letters and spaces only, so that HTML, maths and smart quotes
cannot split it differently in different outputs), or a line of its code. Files are compared after
collapsing whitespace; notebooks are read as JSON, so their escaping does not hide anything.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from nnscratch.exercises import Exercise, book_chapters, read_exercises, strip_solutions

_BREAKS = [
    r"```.*?```",                    # fenced code (taken separately)
    r"\$\$.*?\$\$", r"\$[^$\n]*\$",  # maths
    r"\{[\w:-]+\}`[^`]*`",           # roles: {ref}`...`, {glue:text}`...`
    r"`[^`]*`",                      # inline code
    r"\[[^\]]*\]\([^)]*\)",          # links
]


def normalise(text: str) -> str:
    return " ".join(text.split())


def book_exercises(root: Path) -> list[Exercise]:
    return [ex for path in book_chapters(root) if path.suffix == ".md" and path.exists()
            for ex in read_exercises(path)]


def public_text(root: Path) -> str:
    """Everything a student edition may contain: every page without solutions, and the package."""
    pages = [strip_solutions(p.read_text(encoding="utf8")) for p in (root / "book").rglob("*.md")]
    code = [p.read_text(encoding="utf8") for p in (root / "code" / "nnscratch").rglob("*.py")]
    return normalise("\n".join(pages + code))


def prose_runs(markdown: str, min_words: int = 5) -> list[str]:
    """Runs of at least ``min_words`` plain words, split wherever markup or maths intervenes."""
    text = markdown
    for pattern in _BREAKS:
        text = re.sub(pattern, " | ", text, flags=re.DOTALL)
    text = normalise(text.replace("*", " | ").replace("_", " | "))
    return [m.group(0) for m in re.finditer(rf"[A-Za-z]+(?: [A-Za-z]+){{{min_words - 1},}}", text)]


def solution_markers(root: Path, per_solution: int = 3) -> dict[str, list[str]]:
    """For each exercise label, up to ``per_solution`` prose markers and every distinctive code
    line of its solution (text that occurs nowhere in the book without its solutions)."""
    public = public_text(root)
    markers = {}
    for ex in book_exercises(root):
        if not ex.solution:
            continue
        prose = sorted({r for r in prose_runs(ex.solution) if r not in public}, key=len,
                       reverse=True)[:per_solution]
        code = [normalise(line) for line in (ex.solution_code or "").splitlines()
                if len(line.strip()) >= 25 and normalise(line) not in public]
        markers[ex.label] = prose + code
    return markers


def read_text_of(path: Path) -> str:
    """A file's text with whitespace collapsed; a notebook's cells (sources and outputs) as text."""
    data = path.read_bytes()
    if path.suffix == ".ipynb":
        try:
            nb = json.loads(data)
        except ValueError:
            return normalise(data.decode("utf8", errors="replace"))
        parts = []
        for cell in nb.get("cells", []):
            parts.append("".join(cell.get("source", "")))
            for out in cell.get("outputs", []):
                parts.append("".join(out.get("text", "")))
                parts.extend("".join(v) if isinstance(v, list) else str(v)
                             for v in out.get("data", {}).values())
        return normalise("\n".join(parts))
    text = data.decode("utf8", errors="replace")
    if path.suffix in (".html", ".htm"):
        text = html.unescape(text)
    return normalise(text)


def files_containing(folder: Path, markers: list[str]) -> dict[str, list[str]]:
    """marker -> the files under ``folder`` (relative paths) whose text contains it."""
    found: dict[str, list[str]] = {m: [] for m in markers}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = read_text_of(path)
        for m in markers:
            if m in text:
                found[m].append(path.relative_to(folder).as_posix())
    return found
