"""The PDF edition: the whole book as one PDF, printed by headless Chromium.

    python tools/pdf.py [--source .] [--out .] [--pdf PATH]

The Makefile runs it (`make pdf` for the full edition; `make student` for the student edition,
with --source _build/student-src --out _build/student). This script is build tooling, not part of
the published book or of the `nnscratch` package.

1. Builds the single-page HTML of the book in --source (`jupyter-book build <source> --builder
   singlehtml`, warnings are errors) into <out>/_build/singlehtml. It shares the execution cache
   of the HTML build in <out>/_build/.jupyter_cache (or the one the source's _config.yml names),
   so after a `make book` no chapter executes again.
2. Serves that folder on 127.0.0.1, opens it in headless Chromium (Debian's `chromium` and
   `chromium-driver`, driven by Selenium, with no network but the local server), waits until
   every image has loaded and MathJax has typeset every formula, and prints it with DevTools'
   Page.printToPDF: A4, page numbers in the footer, the light theme, the print style sheet
   (book/_static/print.css, which hides sidebars, buttons and navigation), a tagged PDF (its
   structure holds the figures' alt text).
3. Writes the PDF to --pdf, by default <out>/_build/html/nnscratch.pdf: beside the site, where
   every page's download menu links it (book/_ext/pdf_edition.py).

(Jupyter Book's own `--builder pdfhtml` does the same with pyppeteer, which downloads a browser
of its own; LaTeX would need a TeX installation and SVG figures converted.)
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
PDF_NAME = "nnscratch.pdf"  # book/_ext/pdf_edition.py's default for nnscratch_pdf

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage",
    # Nothing but the local server resolves: the book prints offline.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)

# Resolves once the page, its images, its fonts and MathJax's typesetting are all done.
WAIT_FOR_PAGE = """
const done = arguments[arguments.length - 1];
const settle = () => {
  if (document.readyState !== 'complete') return setTimeout(settle, 50);
  for (const img of document.images) img.loading = 'eager';
  const images = Promise.all([...document.images].map(img => img.complete ? null :
      new Promise(resolve => { img.addEventListener('load', resolve); img.addEventListener('error', resolve); })));
  const mj = window.MathJax;
  const maths = (mj && mj.startup && mj.startup.promise) ? mj.startup.promise : Promise.resolve();
  Promise.all([images, maths, document.fonts.ready]).then(() => {
    const broken = [...document.images].filter(img => !(img.complete && img.naturalWidth > 0))
        .map(img => img.getAttribute('src'));
    const untypeset = [...document.querySelectorAll('.math')].filter(m => !m.querySelector('mjx-container')).length;
    const errors = document.querySelectorAll('mjx-merror').length;
    done({broken, untypeset, errors, images: document.images.length,
          maths: document.querySelectorAll('mjx-container').length});
  }, err => done({failed: String(err)}));
};
settle();
"""

LIGHT = """
document.documentElement.dataset.mode = 'light';
document.documentElement.dataset.theme = 'light';
document.documentElement.classList.add('pdf-edition');
"""

FOOTER = ('<div style="width:100%; font-size:8px; color:#444; text-align:center;">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


def build_singlehtml(source: Path, out: Path) -> Path:
    """Build the single-page HTML of the book in source into <out>/_build/singlehtml."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(source), "--builder", "singlehtml",
               "--path-output", str(out), "-W", "-n", "--keep-going"]
    env = dict(os.environ)
    if env.get("NNSCRATCH_DATA"):  # chapters execute in book/: hand them an absolute path
        env["NNSCRATCH_DATA"] = str(Path(env["NNSCRATCH_DATA"]).resolve())
    print(f"pdf: building the single-page HTML of {source} into {out / '_build' / 'singlehtml'}",
          flush=True)
    start = time.perf_counter()
    code = subprocess.call(command, cwd=source, env=env, stdin=subprocess.DEVNULL)
    print(f"pdf: single-page build finished in {time.perf_counter() - start:.0f} s (exit {code})",
          flush=True)
    if code:
        raise SystemExit(f"pdf: the single-page build failed (exit {code}); see its log above")
    return out / "_build" / "singlehtml"


def root_page(source: Path) -> str:
    """The page the single-page build writes the whole book into: the root of _toc.yml."""
    toc = yaml.safe_load((source / "_toc.yml").read_text(encoding="utf8"))
    return str(toc["root"]).removesuffix(".md").removesuffix(".ipynb") + ".html"


def chromium_paths() -> tuple[str, str]:
    binary = next((p for p in ("/usr/lib/chromium/chromium", shutil.which("chromium"),
                               shutil.which("chromium-browser"), shutil.which("google-chrome"))
                   if p and os.access(p, os.X_OK)), None)
    driver = shutil.which("chromedriver")
    if not (binary and driver):
        raise SystemExit("pdf: headless Chromium is needed: `apt-get install chromium "
                         f"chromium-driver` (found chromium={binary}, chromedriver={driver})")
    return binary, driver


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        pass


@contextlib.contextmanager
def serve(folder: Path):
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def print_to_pdf(url: str, pdf: Path, timeout: float = 300) -> dict:
    """Open url in headless Chromium, wait for images and maths, print it to pdf."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium_paths()
    with tempfile.TemporaryDirectory(prefix="chromium-pdf-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,900"):
            options.add_argument(flag)
        service = Service(executable_path=driver_path, log_output=os.devnull)
        driver = webdriver.Chrome(options=options, service=service)
        # Selenium waits 120 s for each command's answer; printing the whole book (one call) took
        # longer than that on a loaded two-core machine, so each command gets the same timeout.
        driver.command_executor.client_config.timeout = timeout
        try:
            driver.set_page_load_timeout(timeout)
            driver.set_script_timeout(timeout)
            driver.get(url)
            state = driver.execute_async_script(WAIT_FOR_PAGE)
            if "failed" in state or state["broken"] or state["untypeset"] or state["errors"]:
                raise SystemExit(f"pdf: the page is not ready to print: {state}")
            driver.execute_script(LIGHT)
            time.sleep(0.5)  # the theme's colour transitions
            result = driver.execute_cdp_cmd("Page.printToPDF", {
                "paperWidth": 8.27, "paperHeight": 11.69,  # A4, in inches
                "marginTop": 0.6, "marginBottom": 0.7, "marginLeft": 0.7, "marginRight": 0.7,
                "printBackground": True,
                "displayHeaderFooter": True,
                "headerTemplate": "<div></div>",
                "footerTemplate": FOOTER,
                "generateTaggedPDF": True,
                "generateDocumentOutline": True,
            })
        finally:
            driver.quit()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(base64.b64decode(result["data"]))
    return state


def page_count(pdf: Path) -> int:
    """The number of pages, from pdfinfo (poppler-utils) if it is installed, else the PDF itself."""
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        match = re.search(r"^Pages:\s+(\d+)", info, re.M)
        if match:
            return int(match.group(1))
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))


def page_to_print(singlehtml: Path, page: str) -> str:
    """The single page, as a file at the top of the build folder; returns its name.

    The single-page builder writes the book into <root page>.html (book/preface.html) but gives
    it the links of a page at the top (_static/..., _images/...), so it is printed from a copy at
    the top, whose links to its own sections become links within the PDF.
    """
    text = (singlehtml / page).read_text(encoding="utf8")
    text = text.replace(f'href="{page}#', 'href="#')
    (singlehtml / "print.html").write_text(text, encoding="utf8")
    return "print.html"


def make_pdf(source: Path, out: Path, pdf: Path) -> Path:
    singlehtml = build_singlehtml(source, out)
    start = time.perf_counter()
    name = page_to_print(singlehtml, root_page(source))
    with serve(singlehtml) as base:
        state = print_to_pdf(base + name, pdf)
    print(f"pdf: printed {pdf} in {time.perf_counter() - start:.0f} s: {page_count(pdf)} pages, "
          f"{state['images']} images, {state['maths']} formulas", flush=True)
    return pdf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=REPO,
                        help="the book's folder (with _config.yml and _toc.yml)")
    parser.add_argument("--out", type=Path, default=None,
                        help="jupyter-book's --path-output: the build goes into <out>/_build "
                             "(default: the source folder, as for `jupyter-book build`)")
    parser.add_argument("--pdf", type=Path, default=None,
                        help=f"where to write the PDF (default <out>/_build/html/{PDF_NAME})")
    args = parser.parse_args(argv)
    source = args.source.resolve()
    out = args.out.resolve() if args.out else source
    pdf = args.pdf.resolve() if args.pdf else out / "_build" / "html" / PDF_NAME
    make_pdf(source, out, pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
