"""Sphinx extension: the rubric of each written exercise, under its solution, from book/rubrics.yml.

The chapters hold exercises and solutions; the points and the grading rubric of every derivation
and question exercise live in one data file, ``book/rubrics.yml``, keyed by exercise label, so
that an instructor edits them in one place and the chapters stay as they are. When Sphinx reads a
chapter (``source-read``), this extension appends to the body of each ``solution`` directive of a
written exercise a short block: "Rubric (N points)" and its items. The student edition removes
every solution before it builds (tools/editions.py), so the rubrics appear in the full edition
only. Code cells are untouched, so the execution cache still applies.

``rubric_table(root)`` makes the table of every rubric for the page For instructors, and
``course_rows(root)`` the times of every exercise; both read the same file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

_ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(_ROOT / "code"))
from nnscratch.exercises import (  # noqa: E402
    book_chapters,
    exercise_numbers,
    read_directives,
    read_exercises,
)

RUBRICS = "book/rubrics.yml"


def load(root: str | Path = _ROOT) -> dict[str, dict]:
    """{'written': {label: {points, minutes, rubric}}, 'coding': {label: {minutes}}}."""
    data = yaml.safe_load((Path(root) / RUBRICS).read_text(encoding="utf8")) or {}
    return {"written": data.get("written") or {}, "coding": data.get("coding") or {}}


def rubric_markdown(entry: dict) -> list[str]:
    """The rubric block appended to a solution (MyST markdown lines)."""
    lines = ["", f"**Rubric ({entry['points']} points).**", ""]
    for item in entry["rubric"]:
        lines.append(f"- {item['points']} pt: {item['for']}")
    return lines + [""]


def add_rubrics(text: str, written: dict[str, dict]) -> str:
    """``text`` (a chapter's source) with each written exercise's rubric inside its solution."""
    lines = text.split("\n")
    for d in reversed(read_directives(text, ("solution",))):
        entry = written.get(d.arg.strip())
        if entry is None:
            continue
        close = d.end - 1                       # the closing fence, or the solution-end marker
        if "solution-end" not in lines[close]:
            ends = [i for i in range(d.start, d.end) if "{solution-end}" in lines[i]]
            close = ends[0] if ends else close
        lines[close:close] = rubric_markdown(entry)
    return "\n".join(lines)


def _source_read(app, docname: str, source: list[str]) -> None:
    if not docname.startswith("book/"):
        return
    written = app.config.nnscratch_rubrics
    if written:
        source[0] = add_rubrics(source[0], written)


def _config_inited(app, config) -> None:
    config.nnscratch_rubrics = load(app.srcdir)["written"]


def rubric_table(root: str | Path = _ROOT) -> str:
    """A markdown table of every written exercise's points and rubric, in the book's order."""
    root = Path(root)
    written, numbers = load(root)["written"], exercise_numbers(root)
    rows = ["| exercise | label | points | rubric |", "| --- | --- | --- | --- |"]
    for chapter in book_chapters(root):
        if chapter.suffix != ".md" or not chapter.exists():
            continue
        for ex in read_exercises(chapter):
            entry = written.get(ex.label)
            if entry is None:
                continue
            items = "<br>".join(f"{i['points']} pt: {i['for']}" for i in entry["rubric"])
            rows.append(f"| {{ref}}`{numbers.get(ex.label, ex.label)} <{ex.label}>` | "
                        f"`{ex.label}` | {entry['points']} | {items.replace('|', '/')} |")
    return "\n".join(rows)


def course_rows(root: str | Path = _ROOT) -> list[dict[str, Any]]:
    """Every exercise with its chapter, number, kind, points (written) and estimated minutes."""
    root = Path(root)
    data, numbers = load(root), exercise_numbers(root)
    rows = []
    for chapter in book_chapters(root):
        if chapter.suffix != ".md" or not chapter.exists():
            continue
        for ex in read_exercises(chapter):
            entry = data["written"].get(ex.label) or data["coding"].get(ex.label)
            if entry is None:
                continue
            rows.append({"chapter": chapter.stem, "label": ex.label, "kind": ex.kind,
                         "number": numbers.get(ex.label, ""), "minutes": entry["minutes"],
                         "points": entry.get("points")})
    return rows


def setup(app) -> dict[str, Any]:
    app.add_config_value("nnscratch_rubrics", {}, "env")
    app.connect("config-inited", _config_inited)
    app.connect("source-read", _source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
