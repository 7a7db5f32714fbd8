"""The built site as a reader sees it, in headless Chromium, with no internet.

For every page in _toc.yml: everything it loads comes from the site itself, its maths is typeset
by the bundled MathJax, its images load, its console shows no errors, it does not scroll sideways
on a phone, its figures have alt text, its headings skip no level, its code stays readable in
the light and the dark theme, and axe-core (the accessibility engine of most automated audits,
bundled by axe-selenium-python) finds no serious or critical violation in either theme.
Full-page screenshots of every page (desktop, phone, dark) go to
<build>/screenshots/ beside the HTML (the build is the session's `built_book`), for a person to
look at.

The checks are JavaScript run in the page (or BeautifulSoup on the HTML); each returns a list of
problems, and test_the_checks_catch_a_broken_page proves on a small broken page that they can fail.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sphinx_external_toc.parsing import parse_toc_yaml

import browser
from conftest import BOOK_BUILD_TIMEOUT, REPO_ROOT


def on_the_book(test):
    """The tests of the built site wait for the build (and are marked `book`); the self-test
    does not."""
    return pytest.mark.book(pytest.mark.timeout(BOOK_BUILD_TIMEOUT + 600)(test))


PAGES = list(parse_toc_yaml(REPO_ROOT / "_toc.yml"))
ARTICLE = "article.bd-article"
MIN_CONTRAST = 4.5  # WCAG AA for normal text

# --------------------------------------------------------------------------------------------
# Checks run in the page. Each returns a list of problems (strings); empty means it passed.

WAIT_FOR_PAGE = """
const done = arguments[arguments.length - 1];
const start = Date.now();
const settle = () => {
  if (document.readyState !== 'complete') return setTimeout(settle, 50);
  // Lazy images load now, not only when scrolled to.
  for (const img of document.images) img.loading = 'eager';
  const images = Promise.all([...document.images].map(img => img.complete ? null :
      new Promise(resolve => { img.addEventListener('load', resolve); img.addEventListener('error', resolve); })));
  const mj = window.MathJax;
  const maths = (mj && mj.startup && mj.startup.promise) ? mj.startup.promise : Promise.resolve();
  Promise.all([images, maths, document.fonts.ready]).then(
      () => done('ok'), err => done('error: ' + err));
};
settle();
"""

CHECK_MATHS = """
const article = document.querySelector(arguments[0]) || document.body;
const problems = [];
const maths = [...article.querySelectorAll('.math')];
for (const m of maths) {
  if (!m.querySelector('mjx-container'))
    problems.push('not typeset: ' + m.textContent.trim().slice(0, 80));
}
for (const e of article.querySelectorAll('mjx-merror'))
  problems.push('TeX error: ' + (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 120));
// Raw TeX left in the text a reader sees (code and typeset maths aside).
const skip = 'pre, code, script, style, mjx-container, .highlight, kbd, samp, textarea';
const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT, {acceptNode: n =>
    n.parentElement && n.parentElement.closest(skip) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
const raw = /\\$\\$|\\\\\\(|\\\\\\)|\\\\\\[|\\\\\\]|\\\\begin\\{|\\\\end\\{|\\$[^$\\s][^$]*?\\\\[a-zA-Z]+[^$]*?\\$/;
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const match = n.textContent.match(raw);
  if (match) problems.push('raw TeX in the text: ' + JSON.stringify(n.textContent.trim().slice(0, 100)));
}
return [maths.length, problems];
"""

CHECK_IMAGES = """
return [...document.images].filter(img => !(img.complete && img.naturalWidth > 0))
    .map(img => 'not loaded: ' + (img.getAttribute('src') || '(no src)'));
"""

# Elements that stick out past the right edge of the viewport, and so make the page scroll
# sideways. An element inside a box that scrolls or clips horizontally (a code cell) is fine.
CHECK_OVERFLOW = """
const width = window.innerWidth;
const scrollWidth = document.documentElement.scrollWidth;
if (scrollWidth <= width) return [];
const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    [...el.classList].slice(0, 3).map(c => '.' + c).join('') +
    ' ' + JSON.stringify((el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60));
// Inside a box that scrolls or clips sideways and itself fits, or inside a fixed box (an
// off-canvas sidebar): either way the page does not grow.
const contained = el => {
  for (let p = el; p && p !== document.body; p = p.parentElement) {
    const style = getComputedStyle(p);
    if (style.position === 'fixed') return true;
    if (p !== el && style.overflowX !== 'visible' && p.getBoundingClientRect().right <= width + 1) return true;
  }
  return false;
};
const offenders = [];
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.right <= width + 1) continue;
  if (contained(el)) continue;
  // Report the outermost offender only.
  if (offenders.some(o => o.contains(el))) continue;
  offenders.push(el);
}
return [`the page is ${scrollWidth} px wide in a ${width} px viewport`].concat(
    offenders.slice(0, 8).map(el => `${describe(el)} reaches ${Math.round(el.getBoundingClientRect().right)} px`));
"""

# Contrast of code against its background: every coloured run of text in code cells' inputs
# (and literal code blocks) and in their text outputs.
CHECK_CONTRAST = """
const [article, minimum] = arguments;
const root = document.querySelector(article) || document.body;
const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return [0, 0, 0, 0];
  const v = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
const over = (top, bottom) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]); };
const background = el => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let colour = [255, 255, 255, 1];
  for (const layer of layers.reverse()) colour = over(layer, colour);
  return colour;
};
const luminance = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
  return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
const ratio = (a, b) => { const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05); };
const result = {};
const kinds = {input: '.cell_input pre, div.highlight pre', output: '.cell_output pre'};
for (const [kind, selector] of Object.entries(kinds)) {
  const seen = new Map();
  for (const pre of root.querySelectorAll(selector)) {
    if (kind === 'input' && pre.closest('.cell_output')) continue;
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent.trim()) continue;
      const el = n.parentElement;
      const fg = parse(getComputedStyle(el).color);
      const bg = background(el);
      const text = over(fg, bg);
      const key = text.join() + '/' + bg.join();
      if (!seen.has(key)) seen.set(key, {ratio: ratio(text, bg), text: n.textContent.trim().slice(0, 30),
          colour: getComputedStyle(el).color, background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(', ') + ')'});
    }
  }
  const pairs = [...seen.values()];
  result[kind] = {checked: pairs.length, min: pairs.length ? Math.min(...pairs.map(p => p.ratio)) : null,
      failing: pairs.filter(p => p.ratio < minimum)};
}
return result;
"""

DARK = """
document.documentElement.dataset.mode = 'dark';
document.documentElement.dataset.theme = 'dark';
"""

# axe-core, run in the page. MathJax's SVG drawings are left out: each is aria-hidden (a screen
# reader reads the MathML copy MathJax puts beside it, which is checked) and full of glyph ids,
# which make axe's duplicate-id rules take minutes per page. The dark theme changes colours only
# (the same markup, other CSS variables), so in the dark axe runs the rules about colour.
AXE_RUN = """
const [options, done] = [arguments[0], arguments[arguments.length - 1]];
axe.run({include: [document], exclude: [['mjx-container > svg']]}, options)
    .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5), count: v.nodes.length}))),
          err => done([{id: 'axe-error', impact: 'critical', help: String(err), nodes: [], count: 1}]));
"""
AXE_ALL = {"resultTypes": ["violations"]}
AXE_COLOUR = {"resultTypes": ["violations"],
              "runOnly": {"type": "rule", "values": ["color-contrast", "link-in-text-block"]}}
AXE_FAILS = {"serious", "critical"}
# Minor and moderate violations that stay, each with the reason. Anything else fails the test.
AXE_ALLOWED = {
    "region": "moderate: the theme (pydata-sphinx-theme) leaves three things outside any "
              "landmark: the skip link (which must come first), and at the top of the left "
              "sidebar the book's title and the search button; the text, the navigation and the "
              "footer are all in landmarks. Theme markup, not the book's.",
    "aria-allowed-role": "minor: the theme writes <main role=\"main\">, a redundant role on "
                         "an element that has it already; it tells assistive technology nothing "
                         "new or wrong (ARIA in HTML only advises against it).",
}


def run_axe(driver, options: dict) -> list[dict]:
    from axe_selenium_python import Axe

    Axe(driver).inject()
    import json

    return driver.execute_async_script(AXE_RUN, json.loads(json.dumps(options)))


# --------------------------------------------------------------------------------------------
# Checks of the HTML itself.

GENERIC_ALT = {"", "png", "svg", "jpg", "jpeg", "gif", "webp", "image", "img", "figure", "fig",
               "picture", "plot", "graph", "chart", "output", "alt", "untitled", "none",
               "placeholder", "screenshot", "photo", "diagram"}


def alt_text_problems(soup: BeautifulSoup) -> list[str]:
    problems = []
    for img in soup.select(f"{ARTICLE} img"):
        src = img.get("src", "")
        alt = img.get("alt")
        name = PurePosixPath(urlsplit(src).path).name
        if alt is None:
            problems.append(f"no alt: {src}")
            continue
        text = alt.strip()
        lowered = text.lower().rstrip(".")
        if (lowered in GENERIC_ALT or text in (src, name, PurePosixPath(name).stem)
                or re.fullmatch(r"[\w./-]+\.(png|svg|jpe?g|gif|webp)", text, re.I)):
            problems.append(f"generic alt {alt!r}: {src}")
    return problems


def heading_problems(soup: BeautifulSoup) -> list[str]:
    headings = soup.select(f"{ARTICLE} :is(h1, h2, h3, h4, h5, h6)")
    problems = []
    previous = 0
    for h in headings:
        level = int(h.name[1])
        title = " ".join(h.get_text(" ").replace("#", "").split())[:60]
        if level > previous + 1:
            skipped = f"h{previous}" if previous else "the start of the page"
            problems.append(f"h{level} {title!r} follows {skipped}")
        previous = level
    if headings and sum(h.name == "h1" for h in headings) != 1:
        problems.append(f"{sum(h.name == 'h1' for h in headings)} h1 headings (one expected)")
    return problems


REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)
NAVIGATION = {"index", "search", "prev", "next", "canonical", "author", "license", "alternate",
              "help", "top", "up", "first", "last", "bookmark", "external", "nofollow"}


def remote_resources(html: str) -> list[str]:
    """URLs of resources a page loads (scripts, styles, fonts, images, frames) that are not local."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for tag, attr in (("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src"),
                      ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data")):
        for el in soup.find_all(tag):
            url = el.get(attr, "")
            if REMOTE.match(url) or url.startswith(("http:", "https:")):
                found.append(f"<{tag} {attr}={url}>")
    for el in soup.find_all("link"):
        rels = set(el.get("rel", []))
        url = el.get("href", "")
        if rels - NAVIGATION and REMOTE.match(url):
            found.append(f"<link rel={' '.join(rels)} href={url}>")
    for style in soup.find_all("style"):
        found += [f"<style> url({u})" for u in css_remote_urls(style.get_text())]
    return found


def css_remote_urls(css: str) -> list[str]:
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
    urls += re.findall(r"@import\s+['\"]([^'\"]+)", css)
    return [u for u in urls if REMOTE.match(u.strip())]


# --------------------------------------------------------------------------------------------
# Visiting the pages: one browser for the module, each page visited once, results kept.


class Site:
    """The pages' visits, made by two browsers side by side (the visits are independent, and a
    page's checks spend most of their time in Chromium: on two cores, two browsers halve the
    wait). Each page is visited once, the first time a test asks for any page."""

    BROWSERS = 2

    def __init__(self, html: Path, base: str, shots: Path, pages: list[str]) -> None:
        self.html, self.base, self.shots, self.pages = html, base, shots, pages
        self.visits: dict[str, dict] = {}

    def visit(self, docname: str) -> dict:
        if not self.visits:
            self._visit_all()
        return self.visits[docname]

    def _visit_all(self) -> None:
        queue = list(self.pages)
        lock = threading.Lock()

        def worker() -> None:
            with browser.chromium(*browser.DESKTOP) as driver:
                while True:
                    with lock:
                        if not queue:
                            return
                        docname = queue.pop(0)
                    result = self._visit(driver, docname)
                    with lock:
                        self.visits[docname] = result

        with ThreadPoolExecutor(self.BROWSERS) as pool:
            for future in [pool.submit(worker) for _ in range(self.BROWSERS)]:
                future.result()  # a visit's exception fails the test that asked

    def _load(self, d, url: str) -> None:
        d.get("about:blank")
        browser.console_errors(d)
        browser.network_events(d)
        d.get(url)
        state = d.execute_async_script(WAIT_FOR_PAGE)
        assert state == "ok", f"{url}: {state}"

    def _visit(self, d, docname: str) -> dict:
        name = docname.replace("/", "__")
        url = f"{self.base}{docname}.html"
        result: dict = {}

        browser.set_viewport(d, *browser.DESKTOP)
        self._load(d, url)
        result["maths"], result["maths_problems"] = d.execute_script(CHECK_MATHS, ARTICLE)
        result["images"] = d.execute_script(CHECK_IMAGES)
        result["light"] = d.execute_script(CHECK_CONTRAST, ARTICLE, MIN_CONTRAST)
        result["axe light"] = run_axe(d, AXE_ALL)
        browser.screenshot(d, self.shots / "desktop" / f"{name}.png")
        result["console"] = browser.console_errors(d)
        result["requests"] = requests_elsewhere(browser.network_events(d), self.base)

        d.execute_script(DARK)
        time.sleep(0.4)  # the theme's colour transitions
        result["dark"] = d.execute_script(CHECK_CONTRAST, ARTICLE, MIN_CONTRAST)
        result["axe dark"] = run_axe(d, AXE_COLOUR)
        browser.screenshot(d, self.shots / "dark" / f"{name}.png")

        browser.set_viewport(d, *browser.PHONE)
        self._load(d, url)
        result["overflow"] = d.execute_script(CHECK_OVERFLOW)
        browser.screenshot(d, self.shots / "phone" / f"{name}.png")
        result["console"] += browser.console_errors(d)
        result["requests"] += requests_elsewhere(browser.network_events(d), self.base)
        return result


def requests_elsewhere(events: list[dict], base: str) -> list[str]:
    """Requests that left the local server, and local requests that failed."""
    urls = {}
    problems = []
    for e in events:
        params = e["params"]
        if e["method"] == "Network.requestWillBeSent":
            url = params["request"]["url"]
            urls[params["requestId"]] = url
            if not url.startswith((base, "data:", "blob:", "about:")):
                problems.append(f"request to {url}")
        elif e["method"] == "Network.responseReceived" and params["response"]["status"] >= 400:
            problems.append(f"HTTP {params['response']['status']} for {params['response']['url']}")
        elif e["method"] == "Network.loadingFailed" and not params.get("canceled"):
            problems.append(f"{params['errorText']} for {urls.get(params['requestId'], '?')}")
    return problems


@pytest.fixture(scope="module")
def site(built_book: Path):
    shots = built_book.parent / "screenshots"
    with browser.serve(built_book) as base:
        yield Site(built_book, base, shots, PAGES)


def soup_of(html: Path, docname: str) -> BeautifulSoup:
    return BeautifulSoup((html / f"{docname}.html").read_text(encoding="utf8"), "html.parser")


# --------------------------------------------------------------------------------------------
# The tests.


@on_the_book
def test_every_page_loads_only_local_resources(built_book: Path) -> None:
    """No page names a script, style sheet, font or image on another site (the static half of
    the offline check; the browser half is test_page_works_offline)."""
    found = {}
    for page in sorted(built_book.rglob("*.html")):
        remote = remote_resources(page.read_text(encoding="utf8"))
        if remote:
            found[page.relative_to(built_book).as_posix()] = remote
    for sheet in sorted(built_book.rglob("*.css")):
        remote = css_remote_urls(sheet.read_text(encoding="utf8", errors="replace"))
        if remote:
            found[sheet.relative_to(built_book).as_posix()] = remote
    assert not found, f"resources from elsewhere: {found}"
    mathjax = built_book / "_static" / "mathjax"
    assert (mathjax / "tex-svg-full.js").is_file() and (mathjax / "LICENSE").is_file()


@on_the_book
@pytest.mark.parametrize("docname", PAGES)
def test_page_works_offline(site: Site, docname: str) -> None:
    """Every request the page makes goes to the site itself and succeeds; the console is clean."""
    visit = site.visit(docname)
    assert not visit["requests"], f"{docname}: {visit['requests']}"
    assert not visit["console"], f"{docname}: console errors {visit['console']}"


@on_the_book
@pytest.mark.parametrize("docname", PAGES)
def test_maths_is_typeset(site: Site, docname: str) -> None:
    visit = site.visit(docname)
    assert not visit["maths_problems"], f"{docname}: {visit['maths_problems']}"


@on_the_book
@pytest.mark.parametrize("docname", PAGES)
def test_images_load(site: Site, docname: str) -> None:
    visit = site.visit(docname)
    assert not visit["images"], f"{docname}: {visit['images']}"


@on_the_book
@pytest.mark.parametrize("docname", PAGES)
def test_no_sideways_scrolling_on_a_phone(site: Site, docname: str) -> None:
    visit = site.visit(docname)
    assert not visit["overflow"], f"{docname} at {browser.PHONE[0]} px: {visit['overflow']}"


@on_the_book
@pytest.mark.parametrize("docname", PAGES)
def test_code_is_readable_in_light_and_dark(site: Site, docname: str) -> None:
    visit = site.visit(docname)
    failing = {f"{mode} {kind}": visit[mode][kind]["failing"]
               for mode in ("light", "dark") for kind in ("input", "output")
               if visit[mode][kind]["failing"]}
    assert not failing, f"{docname}: code below {MIN_CONTRAST}:1 contrast: {failing}"
    soup = soup_of(site.html, docname)
    if soup.select(f"{ARTICLE} .cell_input"):
        assert visit["light"]["input"]["checked"] and visit["dark"]["input"]["checked"]
    if soup.select(f"{ARTICLE} .cell_output pre"):
        assert visit["light"]["output"]["checked"] and visit["dark"]["output"]["checked"]


def axe_problems(violations: list[dict]) -> list[str]:
    return [f"{v['impact']} {v['id']} ({v['help']}) x{v['count']}: {v['nodes']}"
            for v in violations if v["impact"] in AXE_FAILS or v["id"] not in AXE_ALLOWED]


@on_the_book
@pytest.mark.parametrize("docname", PAGES)
def test_axe_finds_no_serious_violation_in_light_and_dark(site: Site, docname: str) -> None:
    visit = site.visit(docname)
    counts = {mode: {f"{v['id']} ({v['impact']})": v["count"] for v in visit[f"axe {mode}"]}
              for mode in ("light", "dark")}
    print(f"{docname}: axe-core violations (nodes) {counts}")
    problems = {mode: axe_problems(visit[f"axe {mode}"]) for mode in ("light", "dark")}
    assert not any(problems.values()), f"{docname}: axe-core: {problems}"


@on_the_book
@pytest.mark.parametrize("docname", PAGES)
def test_figures_have_alt_text(built_book: Path, docname: str) -> None:
    problems = alt_text_problems(soup_of(built_book, docname))
    assert not problems, f"{docname}: {problems}"


@on_the_book
@pytest.mark.parametrize("docname", PAGES)
def test_headings_skip_no_level(built_book: Path, docname: str) -> None:
    problems = heading_problems(soup_of(built_book, docname))
    assert not problems, f"{docname}: {problems}"


BROKEN_PAGE = """<!DOCTYPE html>
<html><head><meta name="viewport" content="width=device-width, initial-scale=1">
<script src="https://cdn.example.org/lib.js"></script>
<style>pre { background: #fff; color: #bbb } .wide { width: 700px }</style></head>
<body><article class="bd-article">
<h1>Title</h1><h3>Skipped a level</h3>
<p>Raw maths: $$x^2$$ and \\(y\\) and $\\sigma(z)$.</p><span class="math">\\(z\\)</span>
<img src="../_images/abc123.png" alt="../_images/abc123.png"><img src="missing.png" alt="png">
<div class="cell"><div class="cell_input"><pre>faint code</pre></div>
<div class="cell_output"><pre>faint output</pre></div></div>
<div class="wide">a box wider than a phone</div>
<script>console.error("boom")</script>
</article></body></html>
"""


def test_the_checks_catch_a_broken_page(tmp_path: Path) -> None:
    """Each check finds the fault planted in a small page (and so can fail)."""
    soup = BeautifulSoup(BROKEN_PAGE, "html.parser")
    assert len(alt_text_problems(soup)) == 2
    assert heading_problems(soup) == ["h3 'Skipped a level' follows h1"]
    assert remote_resources(BROKEN_PAGE) == ["<script src=https://cdn.example.org/lib.js>"]
    (tmp_path / "broken.html").write_text(BROKEN_PAGE, encoding="utf8")
    with browser.serve(tmp_path) as base, browser.chromium(*browser.PHONE) as d:
        d.get("about:blank")
        browser.console_errors(d)
        browser.network_events(d)
        d.get(base + "broken.html")
        assert d.execute_async_script(WAIT_FOR_PAGE) == "ok"
        maths, maths_problems = d.execute_script(CHECK_MATHS, ARTICLE)
        assert maths == 1, maths_problems
        assert maths_problems[0] == "not typeset: \\(z\\)", maths_problems
        assert any("raw TeX" in p and "$$x^2$$" in p for p in maths_problems), maths_problems
        assert d.execute_script(CHECK_IMAGES) == [
            "not loaded: ../_images/abc123.png", "not loaded: missing.png"]
        overflow = d.execute_script(CHECK_OVERFLOW)
        assert overflow and "div.wide" in overflow[1], overflow
        contrast = d.execute_script(CHECK_CONTRAST, ARTICLE, MIN_CONTRAST)
        assert contrast["input"]["failing"] and contrast["output"]["failing"], contrast
        assert any("boom" in m for m in browser.console_errors(d))
        axe_found = axe_problems(run_axe(d, AXE_ALL))
        assert any(p.startswith("serious color-contrast") for p in axe_found), axe_found
        problems = requests_elsewhere(browser.network_events(d), base)
        assert any("cdn.example.org" in p for p in problems), problems
        assert any("404" in p and "missing.png" in p for p in problems), problems
