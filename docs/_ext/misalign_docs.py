"""The compendium's Sphinx extension: what Sphinx, myst-nb and the theme do not do for us.

- ``html_math_renderer = "mathml"``: every formula (docstrings' ``.. math::`` and
  ``:math:``, notebooks' dollar math, ``text/latex`` and ``text/markdown``
  outputs) becomes MathML while the site is built, through
  :func:`misalign.compendium.site.tex_to_mathml`; no MathJax, nothing loaded at
  view time. A formula the converter cannot handle is an error naming the page,
  the source and the formula, and the build fails.
- Sources generated when the build starts, into folders of ``docs/`` that git
  ignores: ``notebooks/`` (copies of the compendium's ``notebooks/NN_*.ipynb``,
  found by glob) and ``api/`` (one page per public module, from
  :func:`misalign.compendium.site.public_api`).
- The ``misalign-notebooks`` directive (the index: each notebook's question,
  figure thumbnails with their provenance, links to its files) and
  ``misalign-citation`` (from ``CITATION.cff``); each notebook page ends with
  the same files section.
- Widget views, which need a live kernel, become a note.
"""

from __future__ import annotations

import filecmp
import html
import importlib
import inspect
import json
import os
import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.errors import ExtensionError
from sphinx.locale import _
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.math import get_node_equation_number

from misalign.compendium import site

logger = logging.getLogger(__name__)


def _root(env) -> Path:
    """The compendium: ``misalign_root`` if set, else the folder above ``docs/``."""
    return Path(env.config.misalign_root).resolve() if env.config.misalign_root else Path(env.srcdir).parent


# --- formulas as MathML -----------------------------------------------------------

def _mathml(self, node: nodes.Node, tex: str, display: bool) -> str:
    try:
        return site.tex_to_mathml(tex, display=display, where=self.builder.current_docname)
    except ValueError as exc:
        logger.error(str(exc), location=node)
        self.builder.misalign_bad_formulas = getattr(self.builder, "misalign_bad_formulas", 0) + 1
        return f'<code class="math-error">{html.escape(tex)}</code>'


def visit_math(self, node: nodes.math) -> None:
    self.body.append(_mathml(self, node, node.astext(), display=False))
    raise nodes.SkipNode


def visit_math_block(self, node: nodes.math_block) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math"))
    if node.get("number"):
        self.body.append(f'<span class="eqno">({get_node_equation_number(self, node)})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    # Several equations in one directive are separated by blank lines, as in Sphinx.
    parts = [node.astext()] if node.get("nowrap") else [p for p in node.astext().split("\n\n") if p.strip()]
    self.body.extend(_mathml(self, node, part, display=True) for part in parts)
    self.body.append("</div>\n")
    raise nodes.SkipNode


def _fail_on_bad_formulas(app, exception) -> None:
    """The build fails, with or without -W, if a formula could not be rendered."""
    bad = getattr(app.builder, "misalign_bad_formulas", 0)
    if exception is None and bad:
        raise ExtensionError(f"{bad} formula(s) cannot be rendered as MathML (listed above)")


# --- generated sources ------------------------------------------------------------

def _write_if_changed(path: Path, text: str) -> None:
    # Unchanged files keep their modification time, so Sphinx rereads only what changed.
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _sync_notebooks(root: Path, docs: Path) -> None:
    dest = docs / "notebooks"
    dest.mkdir(exist_ok=True)
    wanted = {p.name: p for p in site.notebook_paths(root)}
    for old in dest.iterdir():
        if old.name not in wanted:
            old.unlink()
    for name, path in wanted.items():
        if not (dest / name).exists() or not filecmp.cmp(path, dest / name, shallow=False):
            shutil.copy2(path, dest / name)


def _value(obj: object) -> str | None:
    """A constant's value as shown, if short and the same on every run."""
    text = repr(obj)
    return text if len(text) <= 80 and " at 0x" not in text else None


def _module_page(module: str, documented: list[tuple[str, object]]) -> str:
    """One module's page: its docstring, a summary of every name it lists, then each name it documents."""
    mod = importlib.import_module(module)
    listed = [(name, getattr(mod, name)) for name in mod.__all__]
    here = {name for name, _obj in documented}
    # numpydoc leaves module docstrings to docutils, whose "References" and "Notes" (underlined with
    # "-") become sections; the names get a section of that level too, or they would nest in the last.
    out = [module, "=" * len(module), "", f".. automodule:: {module}", "", "Public names", "-" * 12, ""]
    submodules = [f":mod:`{name} <{obj.__name__}>`" for name, obj in listed if inspect.ismodule(obj)]
    if submodules:
        out += [f"Submodules that are also attributes of ``{module}``: {', '.join(submodules)}.", ""]
    # A name documented where it is defined is listed here too, linking there.
    # (autosummary resolves names relative to the current module, and wants them written so.)
    summary = [f"   {name}" if name in here else f"   ~{obj.__module__.removeprefix(module + '.')}.{name}"
               for name, obj in listed if callable(obj) and not inspect.ismodule(obj)]
    if summary:
        out += [".. autosummary::", "   :nosignatures:", "", *summary, ""]
    for name, obj in documented:
        full = f"{module}.{name}"
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            out += [f".. autoexception:: {full}", "   :members:", ""]
        elif inspect.isclass(obj):
            out += [f".. autoclass:: {full}", "   :members:", ""]
        elif callable(obj):
            out += [f".. autofunction:: {full}", ""]
        else:
            value = _value(obj)
            out += [f".. py:data:: {full}"] + ([f"   :value: {value}"] if value else []) + [""]
    return "\n".join(out)


def _write_api(docs: Path, enabled: bool) -> None:
    dest = docs / "api"
    dest.mkdir(exist_ok=True)
    api = site.public_api() if enabled else {}
    pages = {f"{module}.rst": _module_page(module, documented) for module, documented in api.items()}
    index = ["API reference", "=============", "",
             "Every module of the package that declares its public names (``__all__``), and each of those "
             "names, from their numpydoc docstrings. The :ref:`genindex` lists every function, class and "
             "constant, the :ref:`modindex` every module.", ""]
    if api:
        index += [".. autosummary::", "", *(f"   {m}" for m in api), "",
                  ".. toctree::", "   :hidden:", "", *(f"   {m}" for m in api), ""]
    pages["index.rst"] = "\n".join(index)
    for old in dest.iterdir():
        if old.name not in pages:
            old.unlink()
    for name, text in pages.items():
        _write_if_changed(dest / name, text)


def _outputs(root: Path) -> list[tuple[str, int]]:
    files = [*(root / "figures").glob("*.png"), *(root / "figures").glob("*.svg"),
             *(root / "data" / "results").glob("*.csv")]
    return sorted((p.name, p.stat().st_mtime_ns) for p in files)


def _outdated(app, env, added, changed, removed) -> list[str]:
    """The index and the notebook pages, when a figure or table was added, removed or rewritten.

    They show each notebook's files, which Sphinx does not know to watch for new ones.
    """
    outputs = _outputs(_root(env))
    if getattr(env, "misalign_outputs", None) == outputs:
        return []
    env.misalign_outputs = outputs
    return sorted(d for d in env.found_docs if d == env.config.root_doc or d.startswith("notebooks/"))


def _generate_sources(app) -> None:
    docs = Path(app.srcdir)
    _sync_notebooks(_root(app.env), docs)
    _write_api(docs, app.config.misalign_api)


# --- the index and each notebook's files ------------------------------------------

def _download(env, docname: str, path: Path, text: str) -> addnodes.download_reference:
    doc_dir = (Path(env.srcdir) / docname).parent
    return addnodes.download_reference("", "", nodes.literal(text, text), refdoc=docname, refexplicit=True,
                                       reftarget=os.path.relpath(path, doc_dir))


def _provenance(png: Path) -> nodes.raw:
    prov = site.figure_provenance(png)
    try:
        params = json.dumps(json.loads(prov["parameters"]), indent=1, sort_keys=True)
    except ValueError:
        params = prov["parameters"]
    e = html.escape
    return nodes.raw("", f'<dl class="provenance"><dt>made by</dt><dd><code>{e(prov["notebook"])}</code></dd>'
                         f'<dt>software</dt><dd>{e(prov["software"])}</dd><dt>parameters</dt><dd><details>'
                         f"<summary>show</summary><pre>{e(params)}</pre></details></dd></dl>", format="html")


def files_nodes(env, docname: str, entry: site.NotebookEntry) -> list[nodes.Node]:
    """Thumbnails of a notebook's figures with their provenance, and links to its notebook, figure and table files."""
    doc_dir = (Path(env.srcdir) / docname).parent
    figures = nodes.container(classes=["misalign-figures"])
    for png in entry.figures:
        env.note_dependency(str(png))
        caption = nodes.paragraph("", "", _download(env, docname, png, png.name))
        svg = png.with_suffix(".svg")
        if svg.exists():
            caption += [nodes.Text(" · "), _download(env, docname, svg, svg.name)]
        image = nodes.image(uri=os.path.relpath(png, doc_dir), alt=f"figure {png.stem}", width="100%")
        figures += nodes.container("", image, caption, _provenance(png), classes=["misalign-thumb"])
    if not entry.figures:
        figures += nodes.paragraph(text="No figure.")
    ipynb = Path(env.srcdir) / "notebooks" / entry.path.name
    links = nodes.paragraph("", "", nodes.Text("Files: "), _download(env, docname, ipynb, entry.path.name),
                            nodes.Text(" (the notebook with its outputs)"), classes=["misalign-files"])
    for csv in entry.tables:
        env.note_dependency(str(csv))
        links += [nodes.Text(" · "), _download(env, docname, csv, csv.name)]
    return [figures, links]


class NotebooksDirective(SphinxDirective):
    """Each notebook of the compendium: its title (a link to its page), question, figures and files."""

    def run(self) -> list[nodes.Node]:
        root = _root(self.env)
        out = []
        for path in site.notebook_paths(root):
            entry = site.notebook_entry(path, root)
            self.env.note_dependency(str(path))
            section = nodes.section(ids=[nodes.make_id(f"notebook-{entry.stem}")])
            title_nodes, _messages = self.parse_inline(f"{entry.stem}: {entry.title}", lineno=self.lineno)
            link = addnodes.pending_xref("", *title_nodes, refdomain="std", reftype="doc", refexplicit=True,
                                         reftarget=f"/notebooks/{entry.stem}", refdoc=self.env.docname)
            section += nodes.title("", "", link)
            section += self.parse_text_to_nodes(entry.question)
            section += files_nodes(self.env, self.env.docname, entry)
            out.append(section)
        return out


class CitationDirective(SphinxDirective):
    """How to cite: the paper ``CITATION.cff`` prefers, and the file itself for the software."""

    def run(self) -> list[nodes.Node]:
        cite = site.citation(_root(self.env))
        if cite is None:
            return []
        self.env.note_dependency(str(cite["file"]))
        ids = ", ".join(cite["ids"])
        para = nodes.paragraph("", "", nodes.Text(f"Please cite the paper, {', '.join(cite['authors'])} "
                                                  f"({cite['year']}), "),
                               nodes.emphasis(text=cite["title"]),
                               nodes.Text(f", {cite['venue']}{', ' + ids if ids else ''}; and, to identify the "
                                          "code, this software: "),
                               _download(self.env, self.env.docname, cite["file"], cite["file"].name),
                               nodes.Text("."), classes=["misalign-cite"])
        return [para]


def _notebook_files(app, doctree: nodes.document) -> None:
    """Ends each notebook page with its figures and files, as the index shows them."""
    docname = app.env.docname
    if not docname.startswith("notebooks/"):
        return
    root = _root(app.env)
    path = root / "notebooks" / (docname.split("/", 1)[1] + ".ipynb")
    if not path.exists():
        return
    section = nodes.section(ids=["misalign-files"])
    section += nodes.title(text="Figures and files")
    section += files_nodes(app.env, docname, site.notebook_entry(path, root))
    top = next(iter(doctree.findall(nodes.section)), doctree)
    top += section


class WidgetNote(SphinxPostTransform):
    """A widget view (it needs a live kernel) becomes a note; before myst-nb picks each output's format."""

    default_priority = 3  # myst-nb's SelectMimeType runs at 4

    def run(self, **kwargs) -> None:
        for node in list(self.document.findall(nodes.container)):
            if node.get("mime_type") == site.WIDGET_MIME:
                node.children = []
                node += nodes.paragraph(text=site.WIDGET_NOTE, classes=["widget-note"])


def setup(app):
    app.add_config_value("misalign_root", "", "env", types=frozenset({str}))
    app.add_config_value("misalign_api", True, "env", types=frozenset({bool}))
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_math_block, None))
    app.connect("builder-inited", _generate_sources)
    app.connect("env-get-outdated", _outdated)
    app.connect("doctree-read", _notebook_files, priority=400)  # before Sphinx collects images and downloads
    app.connect("build-finished", _fail_on_bad_formulas)
    app.add_directive("misalign-notebooks", NotebooksDirective)
    app.add_directive("misalign-citation", CitationDirective)
    app.add_post_transform(WidgetNote)
    return {"version": "1", "parallel_read_safe": False, "parallel_write_safe": False, "env_version": 1}
