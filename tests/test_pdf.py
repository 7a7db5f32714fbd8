"""The PDF edition (tools/pdf.py; `make pdf`, `make student`), read back with poppler-utils.

Both PDFs are made once per session from the session's book build: its execution cache serves
every chapter, so only the single-page HTML build and the printing run. The full edition is
printed into the session's site (where the download menu links it), the student edition from the
solution-free sources that `make student` stages (tools/editions.py's stage_student_sources).
Then: every chapter title is in the text, no raw TeX is, every figure of the single page is a
figure of the PDF (its tagged structure) and every raster image inside the figures is an image of
the PDF (pdfimages), exercises carry the site's numbers, and solution text is in the full edition
only.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sphinx_external_toc.parsing import parse_toc_yaml

import browser
from conftest import BOOK_BUILD_TIMEOUT, REPO_ROOT, book_env
from solution_text import normalise, solution_markers

pytestmark = [pytest.mark.book, pytest.mark.timeout(BOOK_BUILD_TIMEOUT + 1800)]

PAGES = list(parse_toc_yaml(REPO_ROOT / "_toc.yml"))
PDF_NAME = "nnscratch.pdf"
# TeX that only unrendered maths leaves in the text (the code cells hold TeX too, in a plot's
# r"$\partial p_i$" label, so commands that code uses are not looked for).
RAW_TEX = re.compile(r"\$\$|\\frac|\\begin\{|\\end\{|\\\[|\\\]")
EXERCISE_NUMBER = re.compile(r"\bExercise (\d+(?:\.\d+)*)\b")


@dataclass(frozen=True)
class Pdf:
    path: Path
    singlehtml: Path
    seconds: float

    @property
    def text(self) -> str:
        return normalise(poppler("pdftotext", "-layout", str(self.path), "-"))


def poppler(tool: str, *args: str) -> str:
    if not shutil.which(tool):
        message = f"{tool} is needed: `apt-get install poppler-utils`"
        if __import__("os").environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    proc = subprocess.run([tool, *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def start_pdf(source: Path, out: Path, pdf: Path) -> tuple:
    """Start tools/pdf.py in the background; finish_pdf waits for it."""
    browser.chromium_paths()  # skip (fail in CI) without Chromium
    log = open(out.parent / f"{out.name}-pdf.log", "w+")  # a file, not a pipe: never blocks
    proc = subprocess.Popen([sys.executable, str(REPO_ROOT / "tools" / "pdf.py"), "--source",
                             str(source), "--out", str(out), "--pdf", str(pdf)],
                            cwd=REPO_ROOT, env=book_env(), stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
    return proc, log, out, pdf, time.perf_counter()


def finish_pdf(started: tuple) -> Pdf:
    proc, log, out, pdf, start = started
    try:
        proc.wait(timeout=BOOK_BUILD_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    seconds = time.perf_counter() - start
    log.seek(0)
    output = log.read()
    log.close()
    assert proc.returncode == 0, "\n".join(output.splitlines()[-60:])
    print(f"\n{pdf.name}: made in {seconds:.0f} s; {output.splitlines()[-1]}")
    return Pdf(pdf, out / "_build" / "singlehtml", seconds)


@pytest.fixture(scope="module")
def pdfs(built_book: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pdf]:
    """Both PDFs, made side by side (each is a single-page build and a print: independent).

    The full one is `make pdf`'s, from the session build's folder (and cache), into its site; the
    student one is `make student`'s: the staged solution-free sources, the session build's cache."""
    sys.path.insert(0, str(REPO_ROOT / "tools"))
    from editions import stage_student_sources

    folder = tmp_path_factory.mktemp("student-pdf")
    source = stage_student_sources(REPO_ROOT, folder / "student-src",
                                   built_book.parent / ".jupyter_cache")
    out = folder / "student"
    out.mkdir()
    started = [start_pdf(REPO_ROOT, built_book.parent.parent, built_book / PDF_NAME)]
    try:
        started.append(start_pdf(source, out, out / "_build" / "html" / PDF_NAME))
        return {"full": finish_pdf(started[0]), "student": finish_pdf(started[1])}
    finally:  # if one failed, the other is not left running, nor its log open
        for proc, log, *_ in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()


@pytest.fixture(scope="module")
def full_pdf(pdfs: dict[str, Pdf]) -> Pdf:
    return pdfs["full"]


@pytest.fixture(scope="module")
def student_pdf(pdfs: dict[str, Pdf]) -> Pdf:
    return pdfs["student"]


def chapter_titles(html: Path) -> dict[str, str]:
    """Each page's title as the site shows it (with its chapter number, "1. MNIST")."""
    titles = {}
    for docname in PAGES:
        soup = BeautifulSoup((html / f"{docname}.html").read_text(encoding="utf8"), "html.parser")
        h1 = soup.select_one("article h1")
        for link in h1.select("a.headerlink"):
            link.decompose()
        titles[docname] = normalise(h1.get_text(" ").replace("\u00b6", ""))
    return titles


def site_exercise_numbers(html: Path) -> set[str]:
    numbers = set()
    for docname in PAGES:
        soup = BeautifulSoup((html / f"{docname}.html").read_text(encoding="utf8"), "html.parser")
        for caption in soup.select("div.exercise .caption-number"):
            match = EXERCISE_NUMBER.search(caption.get_text())
            if match:
                numbers.add(match.group(1))
    return numbers


def leaf_figures(pdf: Path) -> int:
    """Figures in the PDF's tagged structure (Chromium tags each <img> as a Figure; an HTML
    <figure> adds an outer one around it, so only the innermost count)."""
    lines = [line.rstrip() for line in poppler("pdfinfo", "-struct", str(pdf)).splitlines()]
    count = 0
    for i, line in enumerate(lines):
        if line.strip() != "Figure":
            continue
        depth = len(line) - len(line.lstrip())
        inner = False
        for below in lines[i + 1:]:
            if len(below) - len(below.lstrip()) <= depth:
                break
            inner = inner or below.strip() == "Figure"
        count += not inner
    return count


def printed_images(singlehtml: Path) -> tuple[int, int]:
    """(images in the printed page's article, raster images embedded in those images)."""
    soup = BeautifulSoup((singlehtml / "print.html").read_text(encoding="utf8"), "html.parser")
    images = [img["src"] for img in soup.select("article.bd-article img[src]")]
    rasters = sum((singlehtml / src).read_text(encoding="utf8", errors="replace").count("<image")
                  for src in images if src.endswith(".svg"))
    rasters += sum(1 for src in images if not src.endswith(".svg"))
    return len(images), rasters


def raster_images(pdf: Path) -> int:
    """Raster images in the PDF in colour (pdfimages); the grey ones Chromium also writes are
    the boxes' soft shadows, and soft masks are not images of their own."""
    rows = poppler("pdfimages", "-list", str(pdf)).splitlines()[2:]
    return sum(1 for row in rows if row.split()[2] == "image" and row.split()[5] != "gray")


def check_pdf(pdf: Pdf, html: Path) -> None:
    text = pdf.text
    pages = int(re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", str(pdf.path)), re.M).group(1))
    print(f"\n{pdf.path}: {pages} pages")
    missing = [title for title in chapter_titles(html).values() if title not in text]
    assert not missing, f"chapter titles not in {pdf.path.name}: {missing}"
    raw = sorted({m.group(0) for m in RAW_TEX.finditer(text)})
    assert not raw, f"raw TeX in the text of {pdf.path.name}: {raw}"
    images, rasters = printed_images(pdf.singlehtml)
    assert images > 0
    assert leaf_figures(pdf.path) == images, (leaf_figures(pdf.path), images)
    assert raster_images(pdf.path) >= rasters, (raster_images(pdf.path), rasters)
    in_pdf = set(EXERCISE_NUMBER.findall(text))
    on_site = site_exercise_numbers(html)
    assert on_site and in_pdf == on_site, (sorted(on_site - in_pdf), sorted(in_pdf - on_site))


def test_full_pdf(full_pdf: Pdf, built_book: Path) -> None:
    check_pdf(full_pdf, built_book)


def test_student_pdf(student_pdf: Pdf, built_book: Path) -> None:
    # The student edition numbers its exercises as the full edition's site does.
    check_pdf(student_pdf, built_book)


def test_solutions_only_in_the_full_pdf(full_pdf: Pdf, student_pdf: Pdf) -> None:
    markers = solution_markers(REPO_ROOT)
    # Prose markers (code lines wrap differently on paper).
    prose = {label: [m for m in ms if re.fullmatch(r"[A-Za-z ]+", m)] for label, ms in markers.items()}
    prose = {label: ms for label, ms in prose.items() if ms}
    assert prose, "no solution prose to look for"
    full, student = full_pdf.text, student_pdf.text
    unseen = [label for label, ms in prose.items() if not any(m in full for m in ms)]
    assert not unseen, f"solutions whose text is not in the full PDF: {unseen}"
    leaked = {label: [m for m in ms if m in student] for label, ms in prose.items()}
    leaked = {label: ms for label, ms in leaked.items() if ms}
    assert not leaked, f"solution text in the student PDF: {leaked}"
    assert "Solution to Exercise" in full and "Solution to Exercise" not in student


def test_every_page_links_the_pdf(full_pdf: Pdf, built_book: Path) -> None:
    assert (built_book / PDF_NAME).is_file()
    for docname in PAGES:
        page = built_book / f"{docname}.html"
        soup = BeautifulSoup(page.read_text(encoding="utf8"), "html.parser")
        links = [a["href"] for a in soup.select(".dropdown-download-buttons a[href]")
                 if a["href"].endswith(PDF_NAME)]
        assert links, f"{docname}: no link to the PDF in the download menu"
        assert all((page.parent / href).resolve() == (built_book / PDF_NAME).resolve()
                   for href in links), links
