"""The static site (Sphinx, ``docs/``): its helpers, a small build, then every built page in headless Chromium.

The browser is driven over the Chrome DevTools Protocol through a pipe
(``--remote-debugging-pipe``), so no port is opened and no client library is
needed. Every page, the search page with a query included, must load with no
console error and no request leaving the machine; its images must decode, its
internal links and anchors resolve, and its formulas be laid out as MathML.
Screenshots of the index and of one notebook page, in the theme's light and
dark modes, are kept in ``build/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from misalign.compendium import site  # noqa: E402
from misalign.compendium.outputs import save_figure, write_results  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

SCREENSHOTS = ROOT / "build" / "screenshots"
GENERATED = ("api", "notebooks")  # folders of docs/ that the build writes


# --- the helpers, without Sphinx -------------------------------------------------

def test_inline_and_display_math_become_mathml():
    assert site.tex_to_mathml(r"\frac{a}{b}").count('display="inline"') == 1
    out = site.tex_to_mathml(r"\sum_i x_i", display=True)
    assert 'display="block"' in out and "<munder>" in out or "<msub>" in out


def test_unsupported_latex_fails_naming_page_and_formula():
    with pytest.raises(ValueError, match=r"page\.ipynb: cannot render '\\\\foo' in \$\\foo\{x\}\$"):
        site.tex_to_mathml(r"\foo{x}", where="page.ipynb")
    with pytest.raises(ValueError, match=r"doc: cannot render '&'"):
        site.tex_to_mathml(r"\begin{aligned} a &= b \end{aligned}", where="doc")


def test_standard_operator_names_are_set_upright():
    out = site.tex_to_mathml(r"w = \arg\min_w f")
    assert '<mi mathvariant="normal">a</mi><mi mathvariant="normal">r</mi><mi mathvariant="normal">g</mi>' in out
    with pytest.raises(ValueError, match=r"cannot render '\\\\argh' in \$\\argh\$"):
        site.tex_to_mathml(r"\argh")


def test_the_api_reference_covers_every_name_a_module_declares_public():
    import importlib
    import inspect
    import pkgutil

    import misalign

    api = site.public_api()
    documented = {f"{module}.{name}" for module, names in api.items() for name, _ in names}
    for info in pkgutil.walk_packages(misalign.__path__, "misalign."):
        if info.name.startswith("misalign.compendium") or "._" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not inspect.ismodule(obj):  # documented here or, once, in the module that defines it
                homes = {info.name, getattr(obj, "__module__", info.name)}
                assert any(f"{home}.{name}" in documented for home in homes), (info.name, name)
    assert "misalign.core.score.area_misalignment" in documented and "misalign.analysis.theory" in api
    assert "misalign.area_misalignment" not in documented  # re-exported: documented where it is defined
    assert not any(m.startswith("misalign.compendium") for m in api)


@pytest.mark.parametrize("png", sorted((ROOT / "figures").glob("*.png")), ids=lambda p: p.stem)
def test_every_committed_figure_names_its_notebook_parameters_and_software(png):
    """What the site shows under each thumbnail, read from the PNG and again, independently, from the SVG."""
    import xml.etree.ElementTree as ET

    prov = site.figure_provenance(png)
    assert (ROOT / "notebooks" / prov["notebook"]).is_file(), prov["notebook"]
    assert isinstance(json.loads(prov["parameters"]), dict)
    assert prov["software"].startswith("misalign ")
    dc = "{http://purl.org/dc/elements/1.1/}"
    work = ET.parse(png.with_suffix(".svg")).getroot().find(".//{http://creativecommons.org/ns#}Work")
    assert work.findtext(f"{dc}source") == prov["notebook"]
    assert work.findtext(f"{dc}description") == prov["parameters"]
    assert work.findtext(f"{dc}creator/{{http://creativecommons.org/ns#}}Agent/{dc}title") == prov["software"]


# --- a one-notebook compendium, built ------------------------------------------

TINY_MARKDOWN = ("# Tiny\n\nAn opening line.\n\n**Question.** What is $x^2$ when **x** is 3?\n\n"
                 "**Set-up.** Nothing.\n\n$$\\sum_i x_i$$")


def _tiny_notebook(markdown: str = TINY_MARKDOWN) -> nbformat.NotebookNode:
    """Markdown math, a text/latex and a text/markdown output with formulas, and a widget view."""
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("x = 3")
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"text/latex": r"$\frac{x}{2}$", "text/plain": "x/2"}),
        nbformat.v4.new_output("display_data", data={"text/markdown": r"so $\sqrt{x^2} = 3$", "text/plain": "so"}),
        nbformat.v4.new_output("display_data", data={
            site.WIDGET_MIME: {"model_id": "abc", "version_major": 2, "version_minor": 0}, "text/plain": "VBox()"}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell(markdown), code]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture()
def tiny_compendium(tmp_path, monkeypatch):
    """A one-notebook compendium (with the real docs/) whose figure is named unlike its notebook."""
    root = tmp_path / "tiny"
    monkeypatch.setenv("MISALIGN_OUTPUT_ROOT", str(root))
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, 1])
    save_figure(fig, "other_name", notebook="42_tiny.ipynb", params={"n": 3})
    import pandas as pd

    write_results(pd.DataFrame({"x": [1]}), "42_tiny_table")
    (root / "notebooks").mkdir()
    nbformat.write(_tiny_notebook(), root / "notebooks" / "42_tiny.ipynb")
    shutil.copytree(ROOT / "docs", root / "docs", ignore=lambda d, names: [
        n for n in names if Path(d) == ROOT / "docs" and (n in GENERATED or n.startswith("_build"))])
    shutil.copy(ROOT / "CITATION.cff", root / "CITATION.cff")
    return root


def test_notebook_entry_reads_question_figures_by_provenance_and_tables(tiny_compendium):
    entry = site.notebook_entry(tiny_compendium / "notebooks" / "42_tiny.ipynb", tiny_compendium)
    assert entry.title == "Tiny" and entry.question == "**Question.** What is $x^2$ when **x** is 3?"
    assert [p.name for p in entry.figures] == ["other_name.png"]
    assert [p.name for p in entry.tables] == ["42_tiny_table.csv"]
    prov = site.figure_provenance(entry.figures[0])
    assert prov["notebook"] == "42_tiny.ipynb" and json.loads(prov["parameters"]) == {"n": 3}
    assert prov["software"].startswith("misalign ")


def _downloads(out: Path) -> set[str]:
    return {p.name for p in (out / "_downloads").rglob("*") if p.is_file()}


def test_tiny_site_has_its_question_formulas_files_and_widget_note(tiny_compendium, tmp_path):
    out = site.build_site(tmp_path / "site", root=tiny_compendium, work=tmp_path / "work", api=False)
    assert {"index.html", "notebooks/42_tiny.html", "search.html", "api/index.html"} <= {
        p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    assert {"other_name.png", "other_name.svg", "42_tiny_table.csv", "42_tiny.ipynb", "CITATION.cff"} <= _downloads(out)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<strong>Question.</strong>" in index and "<msup>" in index and "Set-up" not in index
    assert 'href="notebooks/42_tiny.html"' in index and "_images/other_name.png" in index
    assert "Kierans, Ghosh, Hazan, Dori-Hacohen (2025)" in index and "&quot;n&quot;: 3" in index
    page = (out / "notebooks/42_tiny.html").read_text(encoding="utf-8")
    # the markdown's inline and display formulas, the text/latex output and the text/markdown output
    assert page.count("<math") >= 4 and "<mfrac>" in page and "<msqrt>" in page and 'display="block"' in page
    assert "$" not in re.sub(r"<(pre|script)\b.*?</\1>", "", page, flags=re.S)
    assert site.WIDGET_NOTE in page
    assert "widget-view+json" not in page and "Figures and files" in page
    assert not re.search(r"<script[^>]+src=\"(https?:)?//", page)


def test_a_formula_the_converter_cannot_handle_stops_the_build(tiny_compendium, tmp_path, capsys):
    nbformat.write(_tiny_notebook("# Tiny\n\n**Question.** Is $\\foo{x}$ known?"),
                   tiny_compendium / "notebooks" / "42_tiny.ipynb")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "old.html").write_text("the previous site", encoding="utf-8")
    with pytest.raises(RuntimeError, match="did not build"):
        site.build_site(tmp_path / "site", root=tiny_compendium, work=tmp_path / "work", api=False)
    err = capsys.readouterr().err
    assert r"cannot render '\\foo' in $\foo{x}$" in err
    assert "notebooks/42_tiny" in err and "index" in err  # the notebook's page and the index that quotes it
    assert (tmp_path / "site" / "old.html").is_file()  # a failed build leaves the old site


# --- the real site ------------------------------------------------------------------

@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    """The site built from the committed notebooks, figures and tables, as `make site` builds it."""
    base = tmp_path_factory.mktemp("site")
    return site.build_site(base / "site", work=base / "work")


def _expected_pages() -> list[str]:
    return (["index.html", "search.html", "genindex.html", "py-modindex.html", "api/index.html"]
            + [f"api/{module}.html" for module in site.public_api()]
            + [f"notebooks/{p.stem}.html" for p in site.notebook_paths(ROOT)])


PAGES = _expected_pages()
SEARCH = "search.html?q=misalignment"


def test_every_built_page_is_checked(built_site):
    built = {p.relative_to(built_site).as_posix() for p in built_site.rglob("*.html")
             if not p.relative_to(built_site).as_posix().startswith("_static/")}
    assert built == set(PAGES)


def test_no_page_loads_anything_from_the_network(built_site):
    """Scripts, styles, fonts and images are local; links in text to other sites are fine."""
    remote = re.compile(r"""<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?"""
                        r"""\b(?:src|href|data|srcset)=["']?(?:https?:)?//""", re.I)
    css_remote = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])(?:https?:)?//""", re.I)
    bad = [p.relative_to(built_site).as_posix() for p in built_site.rglob("*.html")
           if remote.search(p.read_text(encoding="utf-8"))]
    bad += [p.relative_to(built_site).as_posix() for p in built_site.rglob("*.css")
            if css_remote.search(p.read_text(encoding="utf-8"))]
    assert bad == []
    assert not list(built_site.rglob("*mathjax*"))
    assert not re.search(r"<script[^>]*mathjax", (built_site / "index.html").read_text(encoding="utf-8"), re.I)


# --- the built site in a real browser --------------------------------------

class Chromium:
    """Headless Chromium spoken to over the DevTools protocol on a pipe (fds 3 and 4)."""

    FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
             "--remote-debugging-pipe"]

    def __init__(self, binary: str):
        self.profile = tempfile.mkdtemp(prefix="misalign-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Bash (dash takes one-digit fds only) moves the browser's pipe ends onto the fds the protocol expects,
        # 3 and 4; lifting them above 9 first keeps one from overwriting the other.
        to_browser_r, from_browser_w = _above_9(to_browser_r), _above_9(from_browser_w)
        cmd = ["/bin/bash", "-c", f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w}', binary,
               *self.FLAGS, f"--user-data-dir={self.profile}", "about:blank"]
        self.proc = subprocess.Popen(cmd, pass_fds=(to_browser_r, from_browser_w),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=1280, height=900,
                  deviceScaleFactor=1, mobile=False)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, session: bool = False, timeout: float = 60, **params) -> dict:
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read(deadline)
            self.events.append(msg)
            if msg.get("method") == method:
                return msg

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str):
        res = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True,
                        awaitPromise=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"page script failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def screenshot(self, path: Path) -> None:
        """The whole page (up to 12000 px tall): the window is made as tall as the page, then restored."""
        height = min(int(self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]["height"]) + 1, 12000)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=1280, height=height,
                  deviceScaleFactor=1, mobile=False)
        try:
            self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            data = self.call("Page.captureScreenshot", session=True, format="png")["data"]
        finally:
            self.call("Emulation.setDeviceMetricsOverride", session=True, width=1280, height=900,
                      deviceScaleFactor=1, mobile=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)


def _above_9(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


def _chromium_binary() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("Chromium is missing but CI is set: .ci/run installs Debian's chromium package")
    pytest.skip("Chromium is not installed (apt-get install chromium); the browser test runs under CI=true")


@pytest.fixture(scope="module")
def browser():
    b = Chromium(_chromium_binary())
    yield b
    b.close()


# Collects what the page shows; run in the page after its load event (images are loaded first).
HARNESS = r"""(async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(i => { i.loading = "eager"; });
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  const ML = "http://www.w3.org/1998/Math/MathML";
  const maths = Array.from(document.getElementsByTagNameNS(ML, "math"));
  const box = e => e.getBoundingClientRect();
  const shown = e => e.checkVisibility();
  const badFractions = Array.from(document.getElementsByTagNameNS(ML, "mfrac")).filter(f => {
    const [num, den] = [f.children[0], f.children[1]];
    return !num || !den || (shown(f) && box(num).bottom > box(den).top + 1);
  }).length;
  const prose = Array.from(document.querySelectorAll("article, nav, .bd-sidebar"))
    .map(e => { const c = e.cloneNode(true);
                c.querySelectorAll("pre, code, math, script, style, .highlight, .sig").forEach(x => x.remove());
                return c.textContent; }).join("\n");
  return {
    mathml: typeof MathMLElement !== "undefined",
    maths: maths.length,
    notLaidOut: maths.filter(m => !(m instanceof MathMLElement) || !getComputedStyle(m).display.includes("math")
                               || (shown(m) && (box(m).width <= 0 || box(m).height <= 0))).length,
    badFractions,
    errors: document.getElementsByTagNameNS(ML, "merror").length,
    rawTex: (prose.match(/\$[^$\s][^$]*\$|\\(frac|sum|sqrt|mathcal|bar|left|right|begin|Pr)\b/g) || []).slice(0, 5),
    images: imgs.map(i => ({src: i.src.slice(0, 120), ok: i.complete && i.naturalWidth > 0 && i.naturalHeight > 0})),
    links: Array.from(document.querySelectorAll("a[href]")).map(a => a.href),
    ids: Array.from(document.querySelectorAll("[id]")).map(e => e.id),
    text: document.body.innerText,
  };
})()"""

# Sphinx's search runs after the page's load event: wait for its verdict.
SEARCH_DONE = r"""(async () => {
  for (let i = 0; i < 200; i++) {
    const status = document.querySelector(".search-summary");
    if (status && status.textContent.trim()) return document.querySelectorAll("#search-results li").length;
    await new Promise(r => setTimeout(r, 50));
  }
  return -1;
})()"""


def _problems(browser: Chromium) -> list[str]:
    out = []
    for ev in browser.events:
        method, p = ev.get("method"), ev.get("params", {})
        if method == "Runtime.exceptionThrown":
            out.append(f"exception: {p['exceptionDetails'].get('text')}")
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
            out.append(f"console.{p['type']}: {[a.get('value') for a in p.get('args', [])]}")
        elif method == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
            out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        elif method == "Network.requestWillBeSent" and urlsplit(p["request"]["url"]).scheme not in (
                "file", "data", "about", "blob"):
            out.append(f"network request: {p['request']['url']}")
        elif method == "Network.loadingFailed":
            out.append(f"failed to load: {p.get('errorText')}")
    return out


def _ids(path: Path, cache: dict) -> set[str]:
    if path not in cache:
        cache[path] = set(re.findall(r'\sid="([^"]+)"', path.read_text(encoding="utf-8")))
    return cache[path]


def _page_problems(browser: Chromium, url: str, site_root: Path, wait: str | None = None) -> tuple[list[str], dict]:
    """Everything wrong with one page as the browser shows it, and what the harness saw."""
    browser.open(url)
    if wait:
        found = browser.evaluate(wait)
    seen = browser.evaluate(HARNESS)
    if wait:
        seen["waited"] = found
    path = Path(unquote(urlsplit(url).path))
    problems = _problems(browser)
    problems += [f"image did not load: {i['src']}" for i in seen["images"] if not i["ok"]]
    ids_cache: dict = {}
    for href in seen["links"]:
        parts = urlsplit(href)
        if parts.scheme in ("http", "https", "mailto", "javascript"):
            continue
        target = Path(unquote(parts.path))
        if parts.scheme != "file" or not target.is_file() or not target.resolve().is_relative_to(site_root.resolve()):
            problems.append(f"broken link: {href}")
        elif parts.fragment and target.suffix == ".html":
            ids = set(seen["ids"]) if target == path else _ids(target, ids_cache)
            # as browsers do: the fragment as written, then percent-decoded
            if parts.fragment not in ids and unquote(parts.fragment) not in ids:
                problems.append(f"missing anchor: {href}")
    if not seen["mathml"]:
        problems.append("this Chromium does not support MathML Core")
    for key in ("notLaidOut", "errors", "badFractions"):
        if seen[key]:
            problems.append(f"formulas not rendered: {key}={seen[key]}")
    problems += [f"LaTeX left unrendered: {t}" for t in seen["rawTex"]]
    return problems, seen


def _with_formulas(page: str) -> bool:
    """Whether the page's source has formulas: a notebook's markdown, or a module's docstrings (the API pages)."""
    if page.startswith("api/") and page != "api/index.html":
        import importlib
        import inspect

        module = page.removeprefix("api/").removesuffix(".html")
        docs = [importlib.import_module(module).__doc__ or ""]
        docs += [inspect.getdoc(obj) or "" for _name, obj in site.public_api()[module] if callable(obj)]
        return any(":math:" in doc or ".. math::" in doc for doc in docs)
    if not page.startswith("notebooks/"):
        return False
    nb = nbformat.read(ROOT / page.replace(".html", ".ipynb"), as_version=4)
    return "$" in "".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _showcase_page() -> str | None:
    """The first notebook page with both a formula and a figure, for the screenshot."""
    for p in site.notebook_paths(ROOT):
        page = f"notebooks/{p.stem}.html"
        if _with_formulas(page) and site.notebook_entry(p, ROOT).figures:
            return page
    return None


def _screenshots(browser: Chromium, name: str) -> None:
    """The page in the theme's light mode, then in its dark mode (chosen as a reader would, in its menu)."""
    browser.screenshot(SCREENSHOTS / f"{name}.png")
    switch = "document.querySelector('.theme-change-button[data-mode=\"%s\"]').click()"
    browser.evaluate(switch % "dark")
    assert browser.evaluate("document.documentElement.dataset.theme") == "dark"
    browser.screenshot(SCREENSHOTS / f"{name}-dark.png")
    browser.evaluate(switch % "light")
    assert browser.evaluate("document.documentElement.dataset.theme") == "light"


@pytest.mark.parametrize("page", PAGES + [SEARCH])
def test_page_in_browser(browser, built_site, page):
    url = (built_site / page.split("?")[0]).as_uri() + ("?" + page.split("?")[1] if "?" in page else "")
    problems, seen = _page_problems(browser, url, built_site, wait=SEARCH_DONE if page == SEARCH else None)
    assert problems == []
    if _with_formulas(page) or page == "index.html":
        assert seen["maths"] > 0
    if page == SEARCH:
        assert seen["waited"] > 5, seen["text"][:500]  # Sphinx's search found pages, from file:// too
    if page.startswith("notebooks/"):
        entry = site.notebook_entry(ROOT / page.replace(".html", ".ipynb"), ROOT)
        # each figure as a thumbnail, and the stored outputs as the notebook shows them
        assert len(seen["images"]) >= 2 * len(entry.figures)
    if page == "notebooks/00_explore.html":
        assert site.WIDGET_NOTE in seen["text"]
    if page == "index.html":
        assert "Kierans, Ghosh, Hazan, Dori-Hacohen (2025)" in seen["text"]
        entries = [site.notebook_entry(p, ROOT) for p in site.notebook_paths(ROOT)]
        assert len(seen["images"]) == sum(len(e.figures) for e in entries)
        words = lambda text: " ".join(re.findall(r"[A-Za-z0-9]+", text))  # noqa: E731
        assert [e.stem for e in entries if words(e.question.split("$")[0])[:80] not in words(seen["text"])] == []
        _screenshots(browser, "index")
    if page == _showcase_page():
        _screenshots(browser, "notebook")


def test_browser_check_catches_a_broken_page(browser, tmp_path):
    """The check above is only worth something if it fails on each kind of fault."""
    good = site.tex_to_mathml(r"\frac{a}{b}")
    (tmp_path / "other.html").write_text('<p id="here">x</p>', encoding="utf-8")
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><body><article>"
        f'{good}<p>raw $x^2$ here</p><img src="missing.png"><a href="nowhere.html">x</a>'
        '<a href="other.html#there">y</a><a href="other.html#here">z</a>'
        '<script>console.error("boom")</script><script src="http://127.0.0.1:9/x.js"></script>'
        "</article></body></html>", encoding="utf-8")
    problems, seen = _page_problems(browser, page.as_uri(), tmp_path)
    text = "\n".join(problems)
    assert seen["maths"] == 1
    for expected in ("image did not load", "broken link: file://", "nowhere.html", "missing anchor:",
                     "other.html#there", "console.error: ['boom']", "network request: http://127.0.0.1:9/x.js",
                     "LaTeX left unrendered: $x^2$"):
        assert expected in text, (expected, problems)
    assert "#here" not in text
