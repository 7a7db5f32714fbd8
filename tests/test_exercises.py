"""Reading exercises from chapter sources (nnscratch.exercises): both fence forms, the gated
forms, stripping solutions, the table of contents, and the instructors' table."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnscratch.exercises import (book_chapters, exercise_numbers, exercise_table, read_directives,
                                 read_exercises, strip_solutions)

COLON = '''\
# Chapter

Text with a code cell:

```{code-cell} ipython3
x = 1
```

:::{exercise}
:label: demo-ex-code

Write `my_double(x)`.

```python
def my_double(x):
    """Twice x."""
    ...  # your code here

nn.check_double(my_double)
```
:::

:::{solution} demo-ex-code
:class: dropdown

Multiply by two. SOLUTION-ONE

```python
def my_double(x):
    return 2 * x
```
:::

:::{exercise}
:label: demo-ex-proof

Show that $1 + 1 = 2$.
:::

:::{solution} demo-ex-proof
:class: dropdown

By definition. SOLUTION-TWO
:::
'''

BACKTICKS = '''\
# Chapter

````{exercise} A title
:label: demo-ex-code

Write `my_double(x)`.

```python
def my_double(x):
    ...

nn.check_double(my_double)
```
````

````{solution} demo-ex-code
:class: dropdown

SOLUTION-ONE

```python
def my_double(x):
    return 2 * x
```
````

```{exercise-start}
:label: demo-ex-question
```

Why is the sky blue? A gated exercise may hold code cells:

```{code-cell} ipython3
print("sky")
```

```{exercise-end}
```

```{solution-start} demo-ex-question
:class: dropdown
```

Rayleigh scattering. SOLUTION-TWO

```{code-cell} ipython3
print("a solution's code cell")
```

```{solution-end}
```

Text after.

```md
:::{solution} not-a-directive
shown as an example inside a code block
:::
```
'''


@pytest.mark.parametrize("source", [COLON, BACKTICKS], ids=["colon fences", "backtick fences"])
def test_both_fence_forms_give_the_same_exercises(source: str, tmp_path: Path) -> None:
    path = tmp_path / "demo.md"
    path.write_text(source)
    exercises = read_exercises(path)
    assert [ex.label for ex in exercises][:1] == ["demo-ex-code"]
    code = exercises[0]
    assert code.kind == "coding" and code.chapter == "demo"
    assert code.function == "my_double" and code.check == "check_double"
    assert code.check_call == "nn.check_double(my_double)"
    assert "SOLUTION-ONE" in code.solution and code.solution_code.strip().endswith("return 2 * x")
    assert code.title == "Write `my_double(x)`."
    other = exercises[1]
    assert other.kind in ("derivation", "question") and "SOLUTION-TWO" in other.solution
    assert other.starter is None and other.check is None


@pytest.mark.parametrize("source", [COLON, BACKTICKS], ids=["colon fences", "backtick fences"])
def test_strip_solutions_removes_every_solution_and_nothing_else(source: str) -> None:
    stripped = strip_solutions(source)
    assert "SOLUTION-ONE" not in stripped and "SOLUTION-TWO" not in stripped
    assert "{solution" not in stripped.replace("{solution} not-a-directive", "")
    assert "a solution's code cell" not in stripped
    for kept in ("Write `my_double(x)`.", "nn.check_double(my_double)", "# Chapter"):
        assert kept in stripped
    if source is BACKTICKS:
        assert "Text after." in stripped and "{exercise-end}" in stripped
        assert ":::{solution} not-a-directive" in stripped     # inside a code block: kept
    assert strip_solutions(stripped) == stripped


def test_gated_forms_are_joined() -> None:
    directives = read_directives(BACKTICKS, ("exercise", "solution"))
    gated = [d for d in directives if d.options.get("label") == "demo-ex-question"
             or d.arg == "demo-ex-question"]
    assert [d.name for d in gated] == ["exercise", "solution"]
    assert 'print("sky")' in gated[0].body and "Rayleigh" in gated[1].body


def test_a_declared_kind_wins(tmp_path: Path) -> None:
    path = tmp_path / "demo.md"
    path.write_text(":::{exercise}\n:label: demo-ex-a\n:class: question\n\nShow that x.\n:::\n")
    assert read_exercises(path)[0].kind == "question"


def test_toc_chapters_numbers_and_table(tmp_path: Path) -> None:
    (tmp_path / "book").mkdir()
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\noptions:\n  numbered: true\nchapters:\n"
        "  - file: book/one\n  - file: book/two\n    sections:\n      - file: book/two-a\n")
    (tmp_path / "book" / "one.md").write_text(COLON.replace("demo-", "one-"))
    (tmp_path / "book" / "two.md").write_text(BACKTICKS.replace("demo-", "two-"))
    (tmp_path / "book" / "intro.md").write_text(COLON.replace("demo-", "intro-"))
    assert [p.name for p in book_chapters(tmp_path)] == ["intro.md", "one.md", "two.md"]
    assert exercise_numbers(tmp_path) == {"intro-ex-code": "1", "intro-ex-proof": "2",
                                          "one-ex-code": "1.1", "one-ex-proof": "1.2",
                                          "two-ex-code": "2.1", "two-ex-question": "2.2"}
    table = exercise_table(tmp_path)
    assert table._repr_markdown_() == str(table)
    assert "| {doc}`one` | {ref}`1.1 <one-ex-code>` | `one-ex-code` | coding | `nn.check_double` |" in table
    assert "| {doc}`two` | {ref}`2.2 <two-ex-question>` | `two-ex-question` | question | no |" in table


def test_stripping_solutions_leaves_every_code_cell_as_it_was() -> None:
    """jupyter-cache keys a notebook on its code cells: they must not change by one character,
    or the student edition would execute every chapter again."""
    import jupytext

    root = Path(__file__).resolve().parent.parent

    def cells(text: str) -> list[tuple[str, dict]]:
        return [(c.source, c.metadata) for c in jupytext.reads(text, fmt="myst").cells
                if c.cell_type == "code"]

    for chapter in book_chapters(root):
        text = chapter.read_text(encoding="utf8")
        assert cells(strip_solutions(text)) == cells(text), chapter.name
