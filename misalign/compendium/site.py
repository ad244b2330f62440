r"""The compendium as a static website that works offline: ``make site``.

Every stored notebook is rendered with its stored outputs (never re-executed)
to ``site/notebooks/<name>.html``; ``site/index.html`` lists each notebook with
its question, its figures as thumbnails with their provenance, and links to the
notebook, its figure files and its tables; ``site/api.html`` is the package's
reference, generated from the numpydoc docstrings.

Formulas are converted from LaTeX to MathML while the site is built
(``latex2mathml``) and drawn by the browser itself (MathML Core: Chromium 109+,
Firefox, Safari), so no page loads a script, a font or anything else from the
network. A formula the converter cannot handle stops the build with a message
naming the page and the formula, rather than showing raw LaTeX to readers.
"""

from __future__ import annotations

import argparse
import html
import importlib
import inspect
import json
import pkgutil
import re
import shutil
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from latex2mathml.converter import convert as _latex2mathml

from .. import __version__
from .paths import repository

ASSETS = Path(__file__).resolve().parent / "site_assets"
TEMPLATE = "misalign_site"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("<p class=\"widget-note\">Interactive controls appear here when the notebook runs in "
               "JupyterLab (<code>make lab</code>) or on Binder; this page shows the stored outputs.</p>")

# latex2mathml leaves commands it does not know as text ("\foo") and
# alignment tabs as a bare "&": either would show raw LaTeX to the reader.
_LATEX_OPERATORS = frozenset("arccos arcsin arctan arg cos cosh cot coth csc deg det dim exp gcd hom inf ker lg "
                             "lim liminf limsup ln log max min Pr sec sin sinh sup tan tanh".split())
_UNRENDERED = re.compile(r">[^<]*(\\[A-Za-z]+|&(?![#A-Za-z0-9]+;))[^<]*<")


def tex_to_mathml(tex: str, *, display: bool = False, where: str = "") -> str:
    r"""MathML for one LaTeX formula; raise if the converter left LaTeX unrendered.

    Parameters
    ----------
    tex : str
        The formula without its delimiters (no ``$``).
    display : bool
        Block (display) layout rather than inline.
    where : str
        The page or docstring, named in the error message.

    Returns
    -------
    str
        A ``<math>`` element.

    Raises
    ------
    ValueError
        If the formula uses a command or environment the converter does not
        support, naming ``where`` and the formula.

    Examples
    --------
    >>> tex_to_mathml(r"\frac{1}{2}")
    '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline"><mrow><mfrac><mrow><mn>1</mn></mrow><mrow><mn>2</mn></mrow></mfrac></mrow></math>'
    """
    original = tex = tex.strip()
    while True:
        mathml = _latex2mathml(tex, display="block" if display else "inline")
        bad = _UNRENDERED.search(mathml)
        if not bad or bad.group(1)[1:] not in _LATEX_OPERATORS:
            break
        # A standard operator name the converter lacks (e.g. \arg): set it upright, as LaTeX does.
        tex = re.sub(re.escape(bad.group(1)) + r"(?![A-Za-z])", r"\\mathrm{" + bad.group(1)[1:] + r"}\\,", tex)
    if bad:
        raise ValueError(f"{where or 'formula'}: cannot render {bad.group(1)!r} in ${original}$ as MathML; "
                         "expected LaTeX that latex2mathml supports (no alignment environments or custom macros)")
    return mathml


class _MathStash:
    """Swaps formulas for plain-text tokens that survive markdown, then back for MathML.

    Markdown would otherwise read ``*`` and ``_`` inside formulas as emphasis.
    """

    def __init__(self, where: str = ""):
        self.where = where
        self.mathml: list[str] = []
        self.tex: list[str] = []

    def token(self, tex: str, display: bool) -> str:
        self.mathml.append(tex_to_mathml(tex, display=display, where=self.where))
        self.tex.append(tex)
        return f"MISALIGNMATH{len(self.mathml) - 1:05d}X"

    def restore(self, text: str) -> str:
        # A formula in a heading also lands in the heading's id and in its anchor's
        # href; there it becomes plain letters, since markup would end the attribute.
        def plain(attr: re.Match) -> str:
            return re.sub(r"MISALIGNMATH(\d{5})X",
                          lambda m: re.sub(r"[^0-9A-Za-z]+", "", self.tex[int(m.group(1))]), attr.group(0))

        text = re.sub(r'\b(?:id|href)="[^"]*MISALIGNMATH[^"]*"', plain, text)
        return re.sub(r"MISALIGNMATH(\d{5})X", lambda m: self.mathml[int(m.group(1))], text)


# Code and escaped dollars are left alone; then $$..$$, \[..\], \(..\) and $..$,
# paired left to right as JupyterLab pairs them, so a page reads as the
# notebook does in JupyterLab (where "$u = $" is a formula too).
_MD_MATH = re.compile(
    r"(?P<fence>^(?P<fc>```|~~~).*?^(?P=fc)[ \t]*$)"
    r"|(?P<code>(?P<bt>`+).+?(?P=bt))"
    r"|(?P<esc>\\\$)"
    r"|\$\$(?P<dd>.+?)\$\$"
    r"|\\\[(?P<bd>.+?)\\\]"
    r"|\\\((?P<bi>.+?)\\\)"
    r"|\$(?P<di>[^$]+?)\$",
    re.S | re.M,
)


def _stash_markdown_math(text: str, stash: _MathStash) -> str:
    def swap(m: re.Match) -> str:
        if m.group("fence") or m.group("code") or m.group("esc"):
            return m.group(0)
        display = m.group("dd") is not None or m.group("bd") is not None
        tex = next(g for g in (m.group("dd"), m.group("bd"), m.group("bi"), m.group("di")) if g is not None)
        return stash.token(tex, display)

    return _MD_MATH.sub(swap, text)


def markdown_html(text: str, where: str = "") -> str:
    r"""Markdown with ``$...$`` and ``$$...$$`` formulas rendered as MathML.

    Examples
    --------
    >>> out = markdown_html(r"The score $\sqrt{w}$ and `$HOME`")
    >>> "<msqrt>" in out, "<code>$HOME</code>" in out
    (True, True)
    """
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    stash = _MathStash(where)
    return stash.restore(markdown2html_mistune(_stash_markdown_math(text, stash)))


# --- numpydoc docstrings ---------------------------------------------------

_SECTION = re.compile(r"^(?P<title>[A-Z][A-Za-z ]+)\n-{3,}\n", re.M)
_ENTRY_SECTIONS = ("Parameters", "Returns", "Yields", "Raises", "Warns", "Attributes", "Other Parameters")


def _split_docstring(doc: str) -> tuple[str, list[tuple[str, str]]]:
    """The text before the first numpydoc section, and the (title, body) sections."""
    doc = inspect.cleandoc(doc or "")
    heads = list(_SECTION.finditer(doc))
    intro = doc[: heads[0].start()] if heads else doc
    sections = []
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(doc)
        sections.append((h.group("title").strip(), doc[h.end():end].strip("\n")))
    return intro.strip(), sections


_ROLE = re.compile(r":(?P<role>math|func|class|mod|meth|data|attr):`(?P<body>[^`]+)`"
                   r"|``(?P<lit>.+?)``|\[(?P<cite>[0-9]+)\]_|\*\*(?P<strong>[^*]+)\*\*|\*(?P<em>[^*\s][^*]*)\*")


def _inline_rst(text: str, ctx: "_DocContext") -> str:
    out, pos = [], 0
    for m in _ROLE.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        pos = m.end()
        if m.group("role") == "math":
            out.append(tex_to_mathml(m.group("body"), where=ctx.where))
        elif m.group("role"):
            out.append(ctx.link(m.group("body").lstrip("~")))
        elif m.group("lit") is not None:
            out.append(f"<code>{html.escape(m.group('lit'))}</code>")
        elif m.group("cite"):
            out.append(f'<a class="cite" href="#{ctx.anchor}-ref-{m.group("cite")}">[{m.group("cite")}]</a>')
        elif m.group("strong"):
            out.append(f"<strong>{html.escape(m.group('strong'))}</strong>")
        else:
            out.append(f"<em>{html.escape(m.group('em'))}</em>")
    out.append(html.escape(text[pos:]))
    return "".join(out)


@dataclass
class _DocContext:
    where: str
    anchor: str
    known: dict[str, str] = field(default_factory=dict)
    module: str = ""

    def link(self, name: str) -> str:
        """A link to a documented object: its full name, a name in this module, or a unique short name."""
        name = name.removesuffix("()")
        target = (self.known.get(name) or self.known.get(f"{self.module}.{name}")
                  or self.known.get(name.split(".")[-1]) or self.known.get(f"misalign.{name}"))
        code = f"<code>{html.escape(name)}</code>"
        return f'<a href="#{target}">{code}</a>' if target else code


def _blocks(text: str) -> list[list[str]]:
    blocks, cur = [], []
    for line in text.split("\n"):
        if line.strip():
            cur.append(line)
        elif cur:
            blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    return blocks


def _rst_html(text: str, ctx: _DocContext) -> str:
    """The reStructuredText that docstrings use: paragraphs, math, doctests, literal and reference blocks."""
    # dedent, not cleandoc: a section's second line may be a continuation whose indent matters.
    lines = textwrap.dedent(text).strip("\n").split("\n") if text.strip() else []
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if line.startswith(".. math::"):
            i += 1
            body = [line[len(".. math::"):]]
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                body.append(lines[i])
                i += 1
            for eq in _blocks(textwrap.dedent("\n".join(body))):
                out.append(tex_to_mathml("\n".join(eq), display=True, where=ctx.where))
            continue
        if line.startswith(".. ["):
            refs = []
            while i < len(lines) and (lines[i].startswith(".. [") or lines[i].startswith((" ", "\t"))
                                      or (not lines[i].strip() and i + 1 < len(lines)
                                          and lines[i + 1].startswith((".. [", " ")))):
                if lines[i].startswith(".. ["):
                    refs.append(lines[i])
                elif lines[i].strip():
                    refs[-1] += " " + lines[i].strip()
                i += 1
            items = []
            for ref in refs:
                m = re.match(r"\.\. \[(\w+)\]\s*(.*)", ref)
                items.append(f'<li id="{ctx.anchor}-ref-{m.group(1)}"><span class="refkey">[{m.group(1)}]</span> '
                             f"{_inline_rst(m.group(2), ctx)}</li>")
            out.append('<ul class="references">' + "".join(items) + "</ul>")
            continue
        block = []
        while i < len(lines) and lines[i].strip():
            block.append(lines[i])
            i += 1
        if block[0].lstrip().startswith(">>>"):
            out.append('<pre class="doctest">' + html.escape("\n".join(block)) + "</pre>")
        elif block[0].lstrip().startswith(("- ", "* ")):
            items = " ".join(s.strip() for s in block)
            parts = [p for p in re.split(r"(?:^|\s)[-*] ", items) if p.strip()]
            out.append("<ul>" + "".join(f"<li>{_inline_rst(p.strip(), ctx)}</li>" for p in parts) + "</ul>")
        else:
            literal = block[-1].rstrip().endswith("::")
            para = " ".join(s.strip() for s in block)
            if literal:
                para = para.rstrip(":") + (":" if not para.rstrip().endswith(" ::") else "")
            out.append(f"<p>{_inline_rst(para.rstrip(), ctx)}</p>")
            if literal:
                code = []
                while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                    code.append(lines[i])
                    i += 1
                out.append("<pre>" + html.escape(textwrap.dedent("\n".join(code)).strip("\n")) + "</pre>")
    return "\n".join(out)


def _entries_html(body: str, ctx: _DocContext) -> str:
    """Parameters-style sections: ``name : type`` lines, each followed by an indented description."""
    items, cur = [], None
    for line in body.split("\n"):
        if line and not line.startswith((" ", "\t")):
            cur = [line.strip(), []]
            items.append(cur)
        elif cur is not None:
            cur[1].append(line)
    out = []
    for head, desc in items:
        name, _, kind = head.partition(" : ")
        term = f"<code>{html.escape(name)}</code>" + (f' <span class="type">: {_inline_rst(kind, ctx)}</span>'
                                                      if kind else "")
        out.append(f"<dt>{term}</dt><dd>{_rst_html(chr(10).join(desc), ctx)}</dd>")
    return '<dl class="entries">' + "".join(out) + "</dl>"


def _see_also_html(body: str, ctx: _DocContext) -> str:
    out = []
    for line in body.split("\n"):
        if not line.strip():
            continue
        if line.startswith((" ", "\t")) and out:
            out[-1] += " " + _inline_rst(line.strip(), ctx)
            continue
        names, _, desc = line.partition(" : ")
        links = ", ".join(ctx.link(n.strip()) for n in names.split(",") if n.strip())
        out.append(links + (f": {_inline_rst(desc.strip(), ctx)}" if desc else ""))
    return '<ul class="seealso">' + "".join(f"<li>{x}</li>" for x in out) + "</ul>"


def _docstring_html(doc: str, ctx: _DocContext) -> str:
    intro, sections = _split_docstring(doc)
    out = [_rst_html(intro, ctx)]
    for title, body in sections:
        out.append(f'<h4 class="section">{html.escape(title)}</h4>')
        if title in _ENTRY_SECTIONS:
            out.append(_entries_html(body, ctx))
        elif title == "See Also":
            out.append(_see_also_html(body, ctx))
        else:
            out.append(_rst_html(body, ctx))
    return "\n".join(out)


def _public_api() -> dict[str, list[tuple[str, object]]]:
    """Public functions and classes by module: every module of the package that declares ``__all__``.

    A name re-exported by the package is documented once, under the module
    that defines it (when that module lists it too).
    """
    import misalign

    modules = {"misalign": misalign}
    for info in pkgutil.walk_packages(misalign.__path__, "misalign."):
        if not any(part.startswith("_") for part in info.name.split(".")) and ".compendium" not in info.name:
            modules[info.name] = importlib.import_module(info.name)
    modules = {name: m for name, m in modules.items() if hasattr(m, "__all__")}
    api: dict[str, list[tuple[str, object]]] = {}
    for name, module in sorted(modules.items()):
        api[name] = []
        for attr in module.__all__:
            obj = getattr(module, attr)
            home = getattr(obj, "__module__", name)
            if inspect.ismodule(obj) or (home != name and attr in getattr(modules.get(home), "__all__", ())):
                continue
            api[name].append((attr, obj))
    return api


def _api_page() -> str:
    api = _public_api()
    known = {f"{mod}.{name}": f"{mod}.{name}" for mod, objs in api.items() for name, _ in objs}
    short = [k.rsplit(".", 1)[1] for k in known]
    known.update({k.rsplit(".", 1)[1]: k for k in known if short.count(k.rsplit(".", 1)[1]) == 1})
    known.update({mod: "mod-" + mod for mod in api})
    toc, parts = [], []
    for module, objs in api.items():
        mod_anchor = "mod-" + module
        ctx = _DocContext(where=module, anchor=mod_anchor, known=known, module=module)
        toc.append(f'<li><a href="#{mod_anchor}"><code>{module}</code></a>'
                   + (f' <span class="count">({len(objs)})</span>' if objs else "") + "</li>")
        parts.append(f'<section class="module" id="{mod_anchor}"><h2><code>{module}</code></h2>'
                     f"{_docstring_html(sys.modules[module].__doc__ or '', ctx)}")
        for name, obj in objs:
            anchor = f"{module}.{name}"
            ctx = _DocContext(where=anchor, anchor=anchor, known=known, module=module)
            if callable(obj):
                try:
                    sig = html.escape(str(inspect.signature(obj)))
                except (TypeError, ValueError):
                    sig = "(...)"
                doc = _docstring_html(inspect.getdoc(obj) or "", ctx)
            else:  # a constant: its value is its documentation
                sig, doc = "", f"<pre>{html.escape(name)} = {html.escape(repr(obj))}</pre>"
            parts.append(f'<article class="api" id="{anchor}"><h3><code>{module}.<strong>{name}</strong>'
                         f"{sig}</code></h3>{doc}</article>")
        parts.append("</section>")
    body = (f"<h1>API reference</h1><p>misalign {__version__}: every module that declares its public names, "
            "and each of those names, from their docstrings. Formulas are MathML, drawn by the browser.</p>"
            f'<nav class="toc"><ul>{"".join(toc)}</ul></nav>' + "".join(parts))
    return _page("misalign API reference", body, root="")


# --- notebooks and their outputs --------------------------------------------

@dataclass
class NotebookEntry:
    """What the index shows about one notebook."""

    path: Path
    title: str
    question: str
    figures: list[Path]
    tables: list[Path]

    @property
    def stem(self) -> str:
        return self.path.stem


def figure_provenance(png: Path) -> dict[str, str]:
    """The notebook, parameters and software stored in a PNG's text chunks by ``save_figure``."""
    from PIL import Image

    with Image.open(png) as im:
        text = dict(getattr(im, "text", {}) or {})
    return {"notebook": text.get("Source", ""), "parameters": text.get("Description", ""),
            "software": text.get("Software", "")}


def _stems(nb: nbformat.NotebookNode, path: Path) -> set[str]:
    """The notebook's own name plus any ``STEM = "..."`` it assigns: its outputs are named after these."""
    stems = {path.stem}
    for cell in nb.cells:
        if cell.cell_type == "code":
            stems.update(re.findall(r"""^STEM\s*=\s*["']([^"']+)["']""", cell.source, re.M))
    return stems


def _named_after(p: Path, stems: set[str]) -> bool:
    return any(p.stem == s or p.stem.startswith((s + "_", s + "-")) for s in stems)


def notebook_entry(path: Path, root: Path | None = None) -> NotebookEntry:
    root = repository() if root is None else root
    """Title and question (the first markdown cell), figures and tables of one notebook.

    A figure belongs to the notebook if its name starts with the notebook's
    stem (or its ``STEM``) or if its PNG metadata names the notebook as source.
    """
    nb = nbformat.read(path, as_version=4)
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    lines = first.strip().split("\n")
    if lines and lines[0].startswith("#"):
        title, question = lines[0].lstrip("#").strip(), "\n".join(lines[1:]).strip()
    else:
        title, question = path.stem, first.strip()
    stems = _stems(nb, path)
    figures = []
    for png in sorted((root / "figures").glob("*.png")):
        if _named_after(png, stems) or figure_provenance(png)["notebook"] == path.name:
            figures.append(png)
    tables = [p for p in sorted((root / "data" / "results").glob("*.csv")) if _named_after(p, stems)]
    return NotebookEntry(path, title, question, figures, tables)


def _provenance_html(png: Path) -> str:
    prov = figure_provenance(png)
    try:
        params = json.dumps(json.loads(prov["parameters"]), indent=1, sort_keys=True)
    except ValueError:
        params = prov["parameters"]
    return (f'<dl class="provenance"><dt>made by</dt><dd><code>{html.escape(prov["notebook"])}</code></dd>'
            f'<dt>software</dt><dd>{html.escape(prov["software"])}</dd>'
            f"<dt>parameters</dt><dd><details><summary>show</summary><pre>{html.escape(params)}</pre>"
            "</details></dd></dl>")


def _figure_html(png: Path, up: str) -> str:
    svg = png.with_suffix(".svg")
    svg_link = f' · <a href="{up}figures/{svg.name}">SVG</a>' if svg.exists() else ""
    return (f'<figure class="thumb"><a href="{up}figures/{png.name}"><img src="{up}figures/{png.name}" '
            f'alt="figure {html.escape(png.stem)}"></a><figcaption><a href="{up}figures/{png.name}">'
            f"{html.escape(png.name)}</a>{svg_link}{_provenance_html(png)}</figcaption></figure>")


def _files_html(entry: NotebookEntry, up: str) -> str:
    figs = "".join(_figure_html(p, up) for p in entry.figures) or "<p>No figure.</p>"
    tables = "".join(f'<li><a href="{up}data/results/{p.name}">{html.escape(p.name)}</a></li>' for p in entry.tables)
    return (f'<div class="figures">{figs}</div>'
            f'<p class="files"><a href="{up}notebooks/{entry.stem}.ipynb">{entry.stem}.ipynb</a> (the notebook '
            "with its outputs)</p>" + (f'<ul class="tables">{tables}</ul>' if tables else ""))


def _prepare_notebook(nb: nbformat.NotebookNode, stash: _MathStash) -> nbformat.NotebookNode:
    """Formulas to MathML tokens; widget views (which need a live kernel) to a note."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _stash_markdown_math(cell.source, stash)
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not data:
                continue
            if WIDGET_MIME in data:
                out["data"] = {"text/html": WIDGET_NOTE}
            elif "text/markdown" in data:
                data["text/markdown"] = _stash_markdown_math(data["text/markdown"], stash)
            elif "text/latex" in data and not {"text/html", "image/png", "image/svg+xml"} & set(data):
                data["text/html"] = f"<div>{_stash_markdown_math(data.pop('text/latex'), stash)}</div>"
    return nb


def _notebook_page(entry: NotebookEntry) -> str:
    from nbconvert import HTMLExporter

    nb = nbformat.read(entry.path, as_version=4)
    nb.metadata.pop("widgets", None)
    stash = _MathStash(entry.path.name)
    nb = _prepare_notebook(nb, stash)
    exporter = HTMLExporter(template_name=TEMPLATE, extra_template_basedirs=[str(ASSETS / "templates")])
    resources = {
        "metadata": {"name": f"{entry.stem}: {entry.title}"},
        "misalign": {
            "header": (f'<nav class="misalign-nav"><a href="../index.html">misalign compendium</a> · '
                       f'<a href="../api.html">API reference</a> · <a href="{entry.stem}.ipynb">'
                       f"{entry.stem}.ipynb</a></nav>"),
            "footer": f'<section class="misalign-files"><h2>Files</h2>{_files_html(entry, "../")}</section>',
        },
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return stash.restore(body)


def _page(title: str, body: str, root: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
            f'<link rel="stylesheet" href="{root}static/site.css"></head><body>'
            f'<nav class="misalign-nav"><a href="{root}index.html">misalign compendium</a> · '
            f'<a href="{root}api.html">API reference</a></nav><main>{body}</main></body></html>\n')


def _citation_html(root: Path) -> str:
    """How to cite, from ``CITATION.cff``: the paper it prefers, and the file itself (copied beside the index)."""
    cff_path = root / "CITATION.cff"
    if not cff_path.exists():
        return ""
    import yaml

    paper = yaml.safe_load(cff_path.read_text(encoding="utf-8")).get("preferred-citation", {})
    names = [a.get("family-names") or a.get("name", "") for a in paper.get("authors", [])]
    ids = ", ".join(i["value"] for i in paper.get("identifiers", []))
    return (f'<p class="cite">Please cite the paper, {html.escape(", ".join(names))} ({paper.get("year", "")}), '
            f"<em>{html.escape(paper.get('title', ''))}</em>, {html.escape(paper.get('collection-title', ''))}"
            f"{', ' + html.escape(ids) if ids else ''}; and, to identify the code, this software: "
            '<a href="CITATION.cff">CITATION.cff</a>.</p>')


def _index_page(entries: list[NotebookEntry], root: Path | None = None) -> str:
    root = repository() if root is None else root
    items = []
    for e in entries:
        items.append(f'<section class="notebook" id="{e.stem}"><h2><a href="notebooks/{e.stem}.html">'
                     f"{html.escape(e.stem)}: {html.escape(e.title)}</a></h2>"
                     f'<div class="question">{markdown_html(e.question, e.path.name)}</div>'
                     f"{_files_html(e, '')}</section>")
    toc = "".join(f'<li><a href="#{e.stem}">{html.escape(e.stem)}</a>: {html.escape(e.title)}</li>' for e in entries)
    body = (f"<h1>misalign: quantifying misalignment between agents</h1>"
            f"<p>The research compendium of misalign {__version__}: each notebook below asks one question; "
            "its page shows the stored run (code, tables, figures), never re-executed for this site. "
            'The <a href="api.html">API reference</a> documents the package. Figures show where they came '
            "from: the notebook, parameters and software stored in each file's metadata.</p>"
            f'{_citation_html(root)}<nav class="toc"><ol>{toc}</ol></nav>' + "".join(items))
    return _page("misalign compendium", body, root="")


def build_site(out: Path | None = None, *, root: Path | None = None, notebooks_dir: Path | None = None) -> list[Path]:
    """Render the notebooks, index and API reference into ``out``; return the pages written.

    ``out`` (default ``site/``) is replaced as a whole, so no page from an
    earlier build survives a notebook's removal.
    """
    root = repository() if root is None else root
    out = Path(out or root / "site")
    notebooks_dir = Path(notebooks_dir or root / "notebooks")
    entries = [notebook_entry(p, root) for p in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb"))]
    staging = out.with_name(out.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    for sub in ("notebooks", "figures", "data/results", "static"):
        (staging / sub).mkdir(parents=True)
    shutil.copy(ASSETS / "site.css", staging / "static" / "site.css")
    if (root / "CITATION.cff").exists():
        shutil.copy(root / "CITATION.cff", staging / "CITATION.cff")
    pages = {"index.html": _index_page(entries, root), "api.html": _api_page()}
    for e in entries:
        pages[f"notebooks/{e.stem}.html"] = _notebook_page(e)
        shutil.copy(e.path, staging / "notebooks" / e.path.name)
        for png in e.figures:
            for f in (png, png.with_suffix(".svg")):
                if f.exists():
                    shutil.copy(f, staging / "figures" / f.name)
        for csv in e.tables:
            shutil.copy(csv, staging / "data" / "results" / csv.name)
    for rel, text in pages.items():
        (staging / rel).write_text(text, encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return [out / rel for rel in pages]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m misalign.compendium.site", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: site/)")
    args = parser.parse_args(argv)
    try:
        pages = build_site(args.out)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = pages[0].parent
    print(f"{len(pages)} pages written to {out}; open {out / 'index.html'} in a browser")
    return 0


if __name__ == "__main__":
    sys.exit(main())
