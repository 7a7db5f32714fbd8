"""Sphinx extension: the rubric of each written exercise, under its solution, from book/rubrics.yml.

The chapters hold exercises and solutions; the points and the grading rubric of every derivation
and question exercise live in one data file, ``book/rubrics.yml``, keyed by exercise label, so
that an instructor edits them in one place and the chapters stay as they are. When Sphinx reads a
chapter (``source-read``), this extension appends to the body of each ``solution`` directive of a
written exercise a short block: "Rubric (N points)" and its items. The student edition removes
every solution before it builds (tools/editions.py), so the rubrics appear in the full edition
only. Code cells are untouched, so the execution cache still applies.

Every exercise, written or coding, also has a ``level`` (warm-up, core, challenge or experiment)
and the ``minutes`` it takes a student. The same ``source-read`` step writes a line such as
"*Core · about 20 minutes*" at the top of each exercise, so the site, the student edition (built
from the same sources with this extension) and the PDF (printed from the built site) all show it.
tests/test_grading.py fails when an exercise of the book has no entry or no valid level.

``rubric_table(root)`` makes the table of every rubric for the page For instructors, and
``course_rows(root)`` the times of every exercise, ``exercise_table(root)`` the table of every
exercise with its level and minutes; all read the same file.
"""

from __future__ import annotations

import re
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
LEVELS = ("warm-up", "core", "challenge", "experiment")
# The student edition's placeholder for an exercise outside an assignment (tools/editions.py):
# such an exercise gets no level line.
_NOT_ASSIGNED = "Not part of this assignment."


def load(root: str | Path = _ROOT) -> dict[str, dict]:
    """{'written': {label: {points, minutes, rubric}}, 'coding': {label: {minutes}}}."""
    data = yaml.safe_load((Path(root) / RUBRICS).read_text(encoding="utf8")) or {}
    return {"written": data.get("written") or {}, "coding": data.get("coding") or {}}


def entries(root: str | Path = _ROOT) -> dict[str, dict]:
    """Every exercise's entry, written and coding together, keyed by label."""
    data = load(root)
    return {**data["coding"], **data["written"]}


def level_text(entry: dict) -> str:
    """'Core · about 20 minutes' for an entry with level core and 20 minutes."""
    level = entry.get("level")
    if level not in LEVELS:
        raise ValueError(f"{RUBRICS}: level {level!r} is not a level; give the exercise "
                         f"one of {', '.join(LEVELS)}")
    return f"{level.capitalize()} \u00b7 about {entry['minutes']} minutes"


def add_levels(text: str, known: dict[str, dict]) -> str:
    """``text`` (a chapter's source) with a level line at the top of each exercise it knows.

    The line goes after the directive's options (``:label:`` ...), as the first paragraph of the
    exercise's body. An exercise without an entry is left as it is (the test reports it).
    """
    lines = text.split("\n")
    for d in reversed(read_directives(text, ("exercise",))):
        entry = known.get(d.options.get("label", "").strip())
        if entry is None or _NOT_ASSIGNED in d.body:
            continue
        i = d.start + 1
        if i < len(lines) and lines[i].strip() == "---":          # a YAML block of options
            i = next((j for j in range(i + 1, d.end) if lines[j].strip() == "---"), i) + 1
        else:
            while i < d.end and re.match(r"^[ \t]*:[\w-]+:", lines[i]):
                i += 1
        lines[i:i] = ["", f"*{level_text(entry)}*", ""]
    return "\n".join(lines)


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


def _book_root(srcdir: str | Path) -> Path:
    """The repository root: the source folder, or its parent in a one-chapter build of book/."""
    srcdir = Path(srcdir)
    return srcdir if (srcdir / RUBRICS).exists() else srcdir.parent


def _source_read(app, docname: str, source: list[str]) -> None:
    single_page = _book_root(app.srcdir) != Path(app.srcdir)
    if not (single_page or docname.startswith("book/")):
        return
    written = app.config.nnscratch_rubrics
    if written:
        source[0] = add_rubrics(source[0], written)
    known = app.config.nnscratch_levels
    if known:
        source[0] = add_levels(source[0], known)


_LEVEL_LINE = re.compile(
    rf"^({'|'.join(level.capitalize() for level in LEVELS)}) \u00b7 about \d+ minutes$")


def _mark_level_lines(app, doctree) -> None:
    """Give each level line the class ``exercise-level`` (book/_static/custom.css styles it)."""
    from docutils import nodes

    for para in doctree.findall(nodes.paragraph):
        if (len(para.children) == 1 and isinstance(para[0], nodes.emphasis)
                and _LEVEL_LINE.match(para.astext())):
            para["classes"].append("exercise-level")


def _config_inited(app, config) -> None:
    root = _book_root(app.srcdir)
    config.nnscratch_rubrics = load(root)["written"]
    config.nnscratch_levels = entries(root)


def _cell(text: str) -> str:
    """Text for one cell of a markdown table: a pipe in it (|z|, ||x||) is escaped, not a border."""
    return text.replace("|", "\\|")


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
                        f"`{ex.label}` | {entry['points']} | {_cell(items)} |")
    return "\n".join(rows)


def course_rows(root: str | Path = _ROOT) -> list[dict[str, Any]]:
    """Every exercise with its chapter, number, kind, points (written), level and minutes."""
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
                         "points": entry.get("points"), "level": entry.get("level")})
    return rows


def exercise_table(root: str | Path = _ROOT) -> str:
    """A markdown table of every exercise: chapter, number, label, kind, level, minutes, check.

    Like ``nnscratch.exercises.exercise_table``, with each exercise's level and minutes from
    book/rubrics.yml ("none" where an exercise has no entry, which the tests do not allow).
    """
    root = Path(root)
    known, numbers = entries(root), exercise_numbers(root)
    rows = ["| chapter | exercise | label | kind | level | minutes | auto-checked |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for chapter in book_chapters(root):
        if chapter.suffix != ".md" or not chapter.exists():
            continue
        for ex in read_exercises(chapter):
            entry = known.get(ex.label, {})
            number = numbers.get(ex.label, "")
            link = f"{{ref}}`{number or ex.label} <{ex.label}>`" if ex.label else number
            check = f"`nn.{ex.check}`" if ex.check else "no"
            rows.append(f"| {{doc}}`{chapter.stem}` | {link} | `{ex.label}` | {ex.kind} "
                        f"| {entry.get('level', 'none')} | {entry.get('minutes', 'none')} "
                        f"| {check} |")
    return "\n".join(rows)


def setup(app) -> dict[str, Any]:
    app.add_config_value("nnscratch_rubrics", {}, "env")
    app.add_config_value("nnscratch_levels", {}, "env")
    app.connect("config-inited", _config_inited)
    app.connect("source-read", _source_read)
    app.connect("doctree-read", _mark_level_lines)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
