"""Reading the book's exercises from the chapter sources (MyST markdown).

An exercise is a sphinx-exercise directive with a label, followed by its solution::

    :::{exercise}
    :label: sigmoid-ex-my-sigmoid

    Write `my_sigmoid(z)` ...

    ```python
    def my_sigmoid(z):
        \"\"\"Stable sigmoid, same shape and dtype as z.\"\"\"
        ...  # your code here

    nn.check_sigmoid(my_sigmoid)
    ```
    :::

    :::{solution} sigmoid-ex-my-sigmoid
    :class: dropdown

    Prose and maths, then one self-contained ```python block defining ``my_sigmoid``.
    :::

A *coding* exercise is one with such a starter block: the function to write, with ``...`` as its
body, then the check that gives feedback (``nnscratch.checks``). Colon fences (``:::``) and
backtick fences (`````` ```` ``````) are both understood, and so are the gated forms
``exercise-start``/``exercise-end`` and ``solution-start``/``solution-end``.

This module only reads: :func:`read_exercises` lists a chapter's exercises, :func:`strip_solutions`
returns a chapter's text without its solutions, :func:`book_chapters` lists the pages in
``_toc.yml`` order, :func:`exercise_numbers` gives each exercise the number the built book shows,
and :func:`exercise_table` makes the instructors' table of every exercise.
It needs nothing beyond the standard library.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Directive", "Exercise", "book_chapters", "read_exercises", "read_directives",
           "strip_solutions", "exercise_table", "exercise_numbers"]

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>:{3,}|`{3,}|~{3,})\{(?P<name>[\w:-]+)\}"
                   r"[ \t]*(?P<arg>.*?)[ \t]*$")
_CODE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+-]*)[ \t]*$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
_CHECK_CALL = re.compile(r"\b(?:nn\.|nnscratch\.|checks\.)?(?P<check>check_\w+)\(\s*(?P<arg>\w+)")
_DERIVATION = re.compile(r"\b(show|derive|prove|deduce|expand)\b", re.IGNORECASE)
EXERCISE_KINDS = ("coding", "derivation", "question")


@dataclass(frozen=True)
class Directive:
    """One fenced directive in a source: name, argument, options, body and line span.

    ``start`` and ``end`` are 0-based line indices, ``end`` exclusive; for the gated forms
    (``solution-start`` ... ``solution-end``) the span covers everything up to the end marker.
    """

    name: str
    arg: str
    options: dict[str, str]
    body: str
    start: int
    end: int


@dataclass(frozen=True)
class Exercise:
    """One exercise of a chapter, with its solution.

    ``kind`` is 'coding' (it has a starter block, or its solution a python block), 'derivation'
    (it asks to show, derive or prove) or 'question'; a class option
    ``:class: coding|derivation|question`` on the exercise overrides it.
    """

    label: str
    chapter: str                      # the chapter's file stem, e.g. "sigmoid"
    text: str                         # the exercise's body (markdown), starter block included
    starter: str | None               # the starter code, or None
    solution: str | None              # the solution's body (markdown), or None
    solution_code: str | None         # the python block of the solution, or None
    kind: str
    span: tuple[int, int]             # lines of the exercise directive in the source
    solution_span: tuple[int, int] | None = None
    options: dict[str, str] = field(default_factory=dict)

    @property
    def check(self) -> str | None:
        """The check the starter calls, e.g. 'check_sigmoid' (None if there is no call)."""
        match = _CHECK_CALL.search(self.starter or "")
        return match.group("check") if match else None

    @property
    def check_call(self) -> str | None:
        """The starter's line that calls the check, e.g. 'nn.check_sigmoid(my_sigmoid)'."""
        for line in (self.starter or "").splitlines():
            if _CHECK_CALL.search(line) and not line.startswith((" ", "\t", "#")):
                return line.strip()
        return None

    @property
    def function(self) -> str | None:
        """The name of the function the starter defines, e.g. 'my_sigmoid'."""
        try:
            tree = ast.parse(self.starter or "")
        except SyntaxError:
            return None
        names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        return names[0] if names else None

    @property
    def title(self) -> str:
        """The first sentence of the exercise's text, without markup, for tables."""
        prose = _code_blocks_removed(self.text)
        first = " ".join(prose.split())
        first = re.split(r"(?<=[.?!:])\s", first, maxsplit=1)[0]
        return first if len(first) <= 120 else first[:117].rstrip() + "..."


def _closing(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing a fence opened at ``start`` (or len(lines) if none)."""
    close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    for i in range(start + 1, len(lines)):
        if close.match(lines[i]):
            return i
    return len(lines)


def _split_options(body_lines: list[str]) -> tuple[dict[str, str], str]:
    """Directive options (``:key: value`` lines or a ``---`` YAML block) and the rest."""
    options: dict[str, str] = {}
    i = 0
    if body_lines and body_lines[0].strip() == "---":
        end = next((j for j in range(1, len(body_lines)) if body_lines[j].strip() == "---"), 0)
        for line in body_lines[1:end]:
            key, _, value = line.partition(":")
            if key.strip():
                options[key.strip()] = value.strip()
        i = end + 1
    else:
        while i < len(body_lines) and (m := _OPTION.match(body_lines[i].strip())):
            options[m.group("key")] = m.group("value").strip()
            i += 1
    return options, "\n".join(body_lines[i:]).strip("\n")


def read_directives(text: str, names: tuple[str, ...] | None = None) -> list[Directive]:
    """Every top-level fenced directive in ``text`` (or only those in ``names``), in order.

    Code fences (```python ...) at the top level are skipped, so a directive shown inside a
    code block is not mistaken for a real one. The gated forms are joined: a ``solution-start``
    directive's body is everything up to its ``solution-end`` (likewise for exercises).
    """
    lines = text.split("\n")
    found: list[Directive] = []
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            code = _CODE.match(lines[i])
            i = (_closing(lines, i, code.group("fence")) + 1) if code else i + 1
            continue
        end = _closing(lines, i, m.group("fence"))
        options, body = _split_options(lines[i + 1:end])
        name = m.group("name")
        if name in ("exercise-start", "solution-start"):
            stop = name.replace("-start", "-end")
            j = end + 1
            while j < len(lines):
                e = _OPEN.match(lines[j])
                if e and e.group("name") == stop:
                    break
                j += 1
            inner_end = j
            j = _closing(lines, j, e.group("fence")) if j < len(lines) and e else j
            body = "\n".join(lines[end + 1:inner_end]).strip("\n")
            found.append(Directive(name.replace("-start", ""), m.group("arg"), options, body,
                                   i, min(j + 1, len(lines))))
            i = j + 1
            continue
        found.append(Directive(name, m.group("arg"), options, body, i, min(end + 1, len(lines))))
        i = end + 1
    return [d for d in found if names is None or d.name in names]


def _first_code(text: str, languages: tuple[str, ...] = ("python", "python3", "ipython3"),
                ) -> str | None:
    """The first fenced code block in ``text`` whose language is python."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = _CODE.match(line)
        if m and m.group("lang") in languages:
            return "\n".join(lines[i + 1:_closing(lines, i, m.group("fence"))]).strip("\n") + "\n"
    return None


def _code_blocks_removed(text: str) -> str:
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        m = _CODE.match(lines[i])
        if m:
            i = _closing(lines, i, m.group("fence")) + 1
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def _kind(text: str, code: bool, options: dict[str, str]) -> str:
    declared = [k for k in options.get("class", "").split() if k in EXERCISE_KINDS]
    if declared:
        return declared[0]
    if code:
        return "coding"
    return "derivation" if _DERIVATION.search(_code_blocks_removed(text)) else "question"


def read_exercises(path: str | Path) -> list[Exercise]:
    """The exercises of one chapter, in order, each joined with its solution (if any)."""
    path = Path(path)
    directives = read_directives(path.read_text(encoding="utf8"), ("exercise", "solution"))
    solutions = {d.arg.strip(): d for d in directives if d.name == "solution"}
    exercises = []
    for d in directives:
        if d.name != "exercise":
            continue
        label = d.options.get("label", "")
        solution = solutions.get(label) if label else None
        starter = _first_code(d.body)
        solution_code = _first_code(solution.body) if solution else None
        exercises.append(Exercise(
            label=label, chapter=path.stem, text=d.body, starter=starter,
            solution=solution.body if solution else None,
            solution_code=solution_code,
            kind=_kind(d.body, bool(starter or solution_code), d.options), span=(d.start, d.end),
            solution_span=(solution.start, solution.end) if solution else None,
            options=d.options))
    return exercises


def strip_solutions(text: str) -> str:
    """``text`` without any solution directive (both fence forms, and solution-start/-end).

    Nothing else changes: with each solution goes one blank line after it (the one that
    separated it from what follows), so code cells keep every character, and with them their
    jupyter-cache key.
    """
    lines = text.split("\n")
    drop: set[int] = set()
    for d in read_directives(text, ("solution",)):
        drop.update(range(d.start, d.end))
        if d.end < len(lines) and not lines[d.end].strip():
            drop.add(d.end)
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def _toc(root: Path) -> tuple[Path | None, list[Path]]:
    """The root page and the chapter files named in ``<root>/_toc.yml``, in order.

    Reads only the ``root:`` and the ``file:`` entries at the chapters' level, which is all this
    book's table of contents uses; a name without a suffix is looked up as .md, then .ipynb.
    """
    toc = (root / "_toc.yml").read_text(encoding="utf8")

    def path(name: str) -> Path:
        candidates = ([root / name] if Path(name).suffix
                      else [root / f"{name}{suffix}" for suffix in (".md", ".ipynb")])
        return next((c for c in candidates if c.exists()), candidates[0])

    top = re.search(r"^root:[ \t]*(\S+)", toc, re.MULTILINE)
    entries = re.findall(r"^(?P<indent>[ \t]*)-?[ \t]*file:[ \t]*(?P<file>\S+)", toc, re.MULTILINE)
    level = min((len(indent) for indent, _ in entries), default=0)
    return (path(top.group(1)) if top else None,
            [path(name) for indent, name in entries if len(indent) == level])


def book_chapters(root: str | Path) -> list[Path]:
    """The pages of the book in ``<root>/_toc.yml`` order: the root page, then the chapters."""
    first, chapters = _toc(Path(root))
    return ([first] if first else []) + chapters


def exercise_numbers(root: str | Path) -> dict[str, str]:
    """The number of every exercise as the built book shows it, e.g. {'sigmoid-ex-...': '2.3'}.

    With a numbered table of contents, sphinx-exercise numbers exercises per chapter: chapter
    n's k-th exercise is 'n.k', chapters counted in _toc.yml order. The root page has no chapter
    number, so its exercises are simply '1', '2', ... Exercises with ``:nonumber:`` get none.
    """
    first, chapters = _toc(Path(root))
    pages = ([(first, "")] if first else []) + [(c, f"{n}.") for n, c in enumerate(chapters, 1)]
    numbers = {}
    for page, prefix in pages:
        if page.suffix != ".md" or not page.exists():
            continue
        k = 0
        for ex in read_exercises(page):
            if "nonumber" not in ex.options:
                k += 1
                numbers[ex.label] = f"{prefix}{k}"
    return numbers


class _Markdown(str):
    """A string that Jupyter (and myst-nb) display as markdown."""

    def _repr_markdown_(self) -> str:
        return str(self)


def exercise_table(root: str | Path = "..") -> _Markdown:
    """A markdown table of every exercise in the book: chapter, number, label, kind, check.

    Built from the chapter sources in _toc.yml order, so it cannot drift from the book. Labels
    are MyST ``{ref}`` links, which resolve when a page renders the table as MyST markdown.
    """
    numbers = exercise_numbers(root)
    rows = ["| chapter | exercise | label | kind | auto-checked |",
            "| --- | --- | --- | --- | --- |"]
    for chapter in book_chapters(root):
        if chapter.suffix != ".md" or not chapter.exists():
            continue
        for ex in read_exercises(chapter):
            number = numbers.get(ex.label, "")
            link = f"{{ref}}`{number or ex.label} <{ex.label}>`" if ex.label else number
            check = f"`nn.{ex.check}`" if ex.check else "no"
            rows.append(f"| {{doc}}`{chapter.stem}` | {link} | `{ex.label}` | {ex.kind} "
                        f"| {check} |")
    if len(rows) == 2:
        return _Markdown("*The chapters in the table of contents have no exercises yet.*")
    return _Markdown("\n".join(rows))
