"""The static site: its builder's parts, then every built page in headless Chromium.

The browser is driven over the Chrome DevTools Protocol through a pipe
(``--remote-debugging-pipe``), so no port is opened and no client library is
needed. Every page must load with no console error and no request leaving the
machine; its images must decode, its internal links and anchors resolve, and
its formulas be laid out as MathML. Screenshots of the index and of one
notebook page are kept in ``build/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import base64
import fcntl
import inspect
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
from misalign.compendium.runner import notebooks  # noqa: E402
from misalign.compendium.outputs import save_figure, write_results  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

SCREENSHOTS = ROOT / "build" / "screenshots"


# --- the builder, without a browser ----------------------------------------

def test_inline_and_display_math_become_mathml():
    out = site.markdown_html(r"A $\frac{a}{b}$ and $$\sum_i x_i$$ done")
    assert out.count("<math") == 2
    assert 'display="inline"' in out and 'display="block"' in out
    assert "<mfrac>" in out and "$" not in out


def test_code_and_escaped_dollars_stay_text():
    text = "Use `$x$` here, pay \\$5 or \\$6 each.\n\n```\n$y$\n```\n"
    out = site.markdown_html(text)
    assert "<math" not in out
    assert "<code>$x$</code>" in out and "$y$" in out and "$5 or $6" in out


def test_dollars_pair_left_to_right_as_in_jupyterlab():
    out = site.markdown_html("($u_2 = $ `total` $- u_1$)")
    assert out.count("<math") == 2 and "<code>total</code>" in out and "$" not in out


def test_markdown_emphasis_characters_inside_math_are_not_emphasis():
    out = site.markdown_html(r"$a_1 * b_2 * c$ and $x_1$")
    assert "<em>" not in out and out.count("<math") == 2


def test_unsupported_latex_fails_naming_page_and_formula():
    with pytest.raises(ValueError, match=r"page\.ipynb: cannot render '\\\\foo' in \$\\foo\{x\}\$"):
        site.markdown_html(r"see $\foo{x}$", where="page.ipynb")
    with pytest.raises(ValueError, match=r"doc: cannot render '&'"):
        site.tex_to_mathml(r"\begin{aligned} a &= b \end{aligned}", where="doc")


def test_docstring_sections_math_references_and_links():
    doc = r'''Score of an area, :math:`\sqrt{w}`.

    .. math::

        s = \frac{1}{n}

    Parameters
    ----------
    goals : array_like of int
        Each agent's goal, see :func:`other` and [1]_.

    See Also
    --------
    other : the other one.
    missing.thing

    References
    ----------
    .. [1] Someone (2025). A paper
       on two lines.

    Examples
    --------
    >>> 1 + 1
    2
    '''
    ctx = site._DocContext(where="f", anchor="f", known={"other": "other"})
    out = site._docstring_html(doc, ctx)
    assert out.count("<math") == 2 and 'display="block"' in out
    assert "<dt><code>goals</code>" in out and '<a href="#other"><code>other</code></a>' in out
    assert "<code>missing.thing</code>" in out and 'href="#missing' not in out
    assert '<a class="cite" href="#f-ref-1">[1]</a>' in out
    assert '<li id="f-ref-1"><span class="refkey">[1]</span> Someone (2025). A paper on two lines.</li>' in out
    assert '<pre class="doctest">&gt;&gt;&gt; 1 + 1\n2</pre>' in out


def test_standard_operator_names_are_set_upright():
    out = site.tex_to_mathml(r"w = \arg\min_w f")
    assert '<mi mathvariant="normal">a</mi><mi mathvariant="normal">r</mi><mi mathvariant="normal">g</mi>' in out
    with pytest.raises(ValueError, match=r"cannot render '\\\\argh' in \$\\argh\$"):
        site.tex_to_mathml(r"\argh")


def test_every_name_a_module_declares_public_is_in_the_api_page():
    import importlib
    import pkgutil

    import misalign

    page = site._api_page()
    for info in pkgutil.walk_packages(misalign.__path__, "misalign."):
        if ".compendium" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not inspect.ismodule(obj):  # documented here or, once, in the module that defines it
                homes = {info.name, getattr(obj, "__module__", info.name)}
                assert any(f'id="{home}.{name}"' in page for home in homes), (info.name, name)
    assert 'id="misalign.core.score.area_misalignment"' in page and 'id="mod-misalign.analysis.theory"' in page


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


@pytest.fixture()
def tiny_compendium(tmp_path, monkeypatch):
    """A one-notebook compendium whose figure is named unlike its notebook: found by its metadata."""
    monkeypatch.setenv("MISALIGN_OUTPUT_ROOT", str(tmp_path))
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, 1])
    save_figure(fig, "other_name", notebook="42_tiny.ipynb", params={"n": 3})
    import pandas as pd

    write_results(pd.DataFrame({"x": [1]}), "42_tiny_table")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny\n\nWhat is $x^2$ when **x** is 3?"),
        nbformat.v4.new_code_cell("x = 3"),
    ]
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nb, tmp_path / "notebooks" / "42_tiny.ipynb")
    return tmp_path


def test_notebook_entry_reads_question_figures_by_provenance_and_tables(tiny_compendium):
    entry = site.notebook_entry(tiny_compendium / "notebooks" / "42_tiny.ipynb", tiny_compendium)
    assert entry.title == "Tiny" and entry.question == "What is $x^2$ when **x** is 3?"
    assert [p.name for p in entry.figures] == ["other_name.png"]
    assert [p.name for p in entry.tables] == ["42_tiny_table.csv"]
    prov = site.figure_provenance(entry.figures[0])
    assert prov["notebook"] == "42_tiny.ipynb" and json.loads(prov["parameters"]) == {"n": 3}
    assert prov["software"].startswith("misalign ")


def test_build_site_writes_pages_and_copies_files(tiny_compendium, tmp_path_factory):
    out = tmp_path_factory.mktemp("web") / "site"
    pages = site.build_site(out, root=tiny_compendium)
    assert sorted(p.relative_to(out).as_posix() for p in pages) == ["api.html", "index.html", "notebooks/42_tiny.html"]
    for rel in ("figures/other_name.png", "figures/other_name.svg", "data/results/42_tiny_table.csv",
                "notebooks/42_tiny.ipynb", "static/site.css"):
        assert (out / rel).is_file(), rel
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<strong>x</strong>" in index and "<msup>" in index and "42_tiny.ipynb" in index
    assert not (out / "CITATION.cff").exists() and "CITATION.cff" not in index
    page = (out / "notebooks/42_tiny.html").read_text(encoding="utf-8")
    assert "<msup>" in page and "http://" not in page.replace("http://www.w3.org/1998/Math/MathML", "")
    assert "<script src=" not in page


def test_widget_views_become_a_note():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("w")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        site.WIDGET_MIME: {"model_id": "abc", "version_major": 2, "version_minor": 0}, "text/plain": "VBox()"})]
    nb.cells = [cell]
    out = site._prepare_notebook(nb, site._MathStash())
    assert out.cells[0].outputs[0]["data"] == {"text/html": site.WIDGET_NOTE}


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
        size = self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
        clip = dict(x=0, y=0, width=1280, height=min(int(size["height"]) + 1, 12000), scale=1)
        data = self.call("Page.captureScreenshot", session=True, format="png", captureBeyondViewport=True,
                         clip=clip)["data"]
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


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    """The site built from the committed notebooks, figures and tables."""
    out = tmp_path_factory.mktemp("site") / "site"
    site.build_site(out)
    return out


PAGES = ["index.html", "api.html"] + [f"notebooks/{p.stem}.html" for p in notebooks()]

# Collects what the page shows; run in the page after its load event.
HARNESS = r"""(() => {
  const ML = "http://www.w3.org/1998/Math/MathML";
  const maths = Array.from(document.getElementsByTagNameNS(ML, "math"));
  const box = e => e.getBoundingClientRect();
  const badFractions = Array.from(document.getElementsByTagNameNS(ML, "mfrac")).filter(f => {
    const [num, den] = [f.children[0], f.children[1]];
    return !num || !den || box(num).bottom > box(den).top + 1;
  }).length;
  const prose = Array.from(document.querySelectorAll(".jp-RenderedMarkdown, main > p, .question, article.api, section.module"))
    .map(e => { const c = e.cloneNode(true); c.querySelectorAll("pre, code, math").forEach(x => x.remove());
                return c.textContent; }).join("\n");
  return {
    mathml: typeof MathMLElement !== "undefined",
    maths: maths.length,
    notLaidOut: maths.filter(m => !(m instanceof MathMLElement) || box(m).width <= 0 || box(m).height <= 0
                               || !getComputedStyle(m).display.includes("math")).length,
    badFractions,
    errors: document.getElementsByTagNameNS(ML, "merror").length,
    rawTex: (prose.match(/\$[^$\s][^$]*\$|\\(frac|sum|sqrt|mathcal|bar|left|right|begin|Pr)\b/g) || []).slice(0, 5),
    images: Array.from(document.images).map(i => ({src: i.src.slice(0, 120), ok: i.complete && i.naturalWidth > 0 && i.naturalHeight > 0})),
    links: Array.from(document.querySelectorAll("a[href]")).map(a => a.href),
    ids: Array.from(document.querySelectorAll("[id]")).map(e => e.id),
  };
})()"""


def _problems(browser: Chromium) -> list[str]:
    out = []
    for ev in browser.events:
        method, p = ev.get("method"), ev.get("params", {})
        if method == "Runtime.exceptionThrown":
            out.append(f"exception: {p['exceptionDetails'].get('text')}")
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append(f"console.{p['type']}: {[a.get('value') for a in p.get('args', [])]}")
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
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


def _page_problems(browser: Chromium, path: Path, site_root: Path) -> tuple[list[str], dict]:
    """Everything wrong with one page as the browser shows it, and what the harness saw."""
    browser.open(path.as_uri())
    seen = browser.evaluate(HARNESS)
    problems = _problems(browser)
    problems += [f"image did not load: {i['src']}" for i in seen["images"] if not i["ok"]]
    ids_cache: dict = {}
    for href in seen["links"]:
        parts = urlsplit(href)
        if parts.scheme in ("http", "https", "mailto"):
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


@pytest.mark.parametrize("page", PAGES)
def test_page_in_browser(browser, built_site, page):
    problems, seen = _page_problems(browser, built_site / page, built_site)
    assert problems == []
    if page == "api.html" or "$" in "".join(c.source for c in _markdown_cells(page)):
        assert seen["maths"] > 0
    if page.startswith("notebooks/") and site.notebook_entry(ROOT / page.replace(".html", ".ipynb")).figures:
        assert len(seen["images"]) >= 2  # the stored output and the thumbnail in the files section
    if page == "index.html":
        assert "Kierans, Ghosh, Hazan, Dori-Hacohen (2025)" in browser.evaluate("document.body.innerText")
        assert len(seen["images"]) == sum(len(site.notebook_entry(p).figures) for p in notebooks())
        browser.screenshot(SCREENSHOTS / "index.png")
    if page == _showcase_page():
        browser.screenshot(SCREENSHOTS / "notebook.png")


def test_browser_check_catches_a_broken_page(browser, tmp_path):
    """The check above is only worth something if it fails on each kind of fault."""
    good = site.markdown_html(r"$\frac{a}{b}$")
    (tmp_path / "other.html").write_text('<p id="here">x</p>', encoding="utf-8")
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><body><main>"
        f'{good}<p>raw $x^2$ here</p><img src="missing.png"><a href="nowhere.html">x</a>'
        '<a href="other.html#there">y</a><a href="other.html#here">z</a>'
        '<script>console.error("boom")</script><script src="http://127.0.0.1:9/x.js"></script>'
        "</main></body></html>", encoding="utf-8")
    problems, seen = _page_problems(browser, page, tmp_path)
    text = "\n".join(problems)
    assert seen["maths"] == 1
    for expected in ("image did not load", "broken link: file://", "nowhere.html", "missing anchor:",
                     "other.html#there", "console.error: ['boom']", "network request: http://127.0.0.1:9/x.js",
                     "LaTeX left unrendered: $x^2$"):
        assert expected in text, (expected, problems)
    assert "#here" not in text


def _markdown_cells(page: str):
    if not page.startswith("notebooks/"):
        return []
    nb = nbformat.read(ROOT / page.replace(".html", ".ipynb"), as_version=4)
    return [c for c in nb.cells if c.cell_type == "markdown"]


def _showcase_page() -> str | None:
    """The first notebook page with both a formula and a figure, for the screenshot."""
    for p in notebooks():
        page = f"notebooks/{p.stem}.html"
        if "$" in "".join(c.source for c in _markdown_cells(page)) and site.notebook_entry(p).figures:
            return page
    return None
