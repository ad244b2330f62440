r"""The compendium as a static website that works offline: ``make site``.

The site is built by Sphinx from ``docs/`` (myst-nb renders the notebooks from
their stored outputs, never re-executing them; numpydoc reads the docstrings;
the theme is sphinx-book-theme). This module holds what the Sphinx extension
``docs/_ext/misalign_docs.py`` needs from the compendium, and runs the build:

- :func:`tex_to_mathml`: a formula as MathML, converted while the site is built
  (``latex2mathml``) and drawn by the browser itself (MathML Core: Chromium
  109+, Firefox, Safari), so no page loads MathJax, a script or a font from the
  network; a formula the converter cannot handle is an error naming the page
  and the formula, rather than raw LaTeX shown to readers;
- :func:`notebook_entry` and :func:`figure_provenance`: what the index shows
  about each notebook (its question, figures with their provenance, tables);
- :func:`public_api`: the modules and names the API reference documents;
- :func:`build_site`: ``sphinx-build -W`` into a staging folder that replaces
  ``site/`` only when the build succeeded.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from latex2mathml.converter import convert as _latex2mathml

from .paths import repository

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("Interactive controls appear here when the notebook runs in JupyterLab (make lab) or on Binder; "
               "this page shows the stored outputs.")
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"

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


# --- the API reference -------------------------------------------------------

def public_api(package: str = "misalign", exclude: tuple[str, ...] = ("misalign.compendium",)
               ) -> dict[str, list[tuple[str, object]]]:
    """Public names by module: every module of the package that declares ``__all__``.

    The compendium's machinery (``exclude``) is left out. A name a module
    re-exports is documented once, under the module that defines it, when that
    module lists it too; submodules listed in ``__all__`` are not names to
    document.
    """
    top = importlib.import_module(package)
    names = [package] + [info.name for info in pkgutil.walk_packages(top.__path__, package + ".")]
    modules = {}
    for name in names:
        if any(part.startswith("_") for part in name.split(".")) or any(
                name == ex or name.startswith(ex + ".") for ex in exclude):
            continue
        module = importlib.import_module(name)
        if hasattr(module, "__all__"):
            modules[name] = module
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


def notebook_paths(root: Path | None = None) -> list[Path]:
    """The compendium's notebooks, ``notebooks/NN_*.ipynb``, in order."""
    root = repository() if root is None else root
    return sorted((root / "notebooks").glob(NOTEBOOK_GLOB))


def figure_provenance(png: Path) -> dict[str, str]:
    """The notebook, parameters and software stored in a PNG's text chunks by ``save_figure``."""
    from PIL import Image

    with Image.open(png) as im:
        # save_figure's text chunks come before the pixels, so opening the file reads them; a
        # file with chunks after the pixels is decoded whole to find them (Image.text).
        text = im.info if "Source" in im.info else dict(getattr(im, "text", {}) or {})
    return {"notebook": text.get("Source", ""), "parameters": text.get("Description", ""),
            "software": text.get("Software", "")}


def _stems(nb, path: Path) -> set[str]:
    """The notebook's own name plus any ``STEM = "..."`` it assigns: its outputs are named after these."""
    stems = {path.stem}
    for cell in nb.cells:
        if cell.cell_type == "code":
            stems.update(re.findall(r"""^STEM\s*=\s*["']([^"']+)["']""", cell.source, re.M))
    return stems


def _named_after(p: Path, stems: set[str]) -> bool:
    return any(p.stem == s or p.stem.startswith((s + "_", s + "-")) for s in stems)


def _question(text: str) -> str:
    """The paragraph that starts with ``**Question.**``, else the first paragraph."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return next((p for p in paragraphs if p.startswith("**Question")), paragraphs[0] if paragraphs else "")


def notebook_entry(path: Path, root: Path | None = None) -> NotebookEntry:
    """Title and question (from the first markdown cell), figures and tables of one notebook.

    The title is the cell's first line if it is a heading; the question is the
    paragraph that starts with ``**Question.**`` (else the first paragraph
    after the title). A figure belongs to the notebook if its name starts with
    the notebook's stem (or its ``STEM``) or if its PNG metadata names the
    notebook as source.
    """
    import nbformat

    root = repository() if root is None else root
    nb = nbformat.read(path, as_version=4)
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    lines = first.strip().split("\n")
    if lines and lines[0].startswith("#"):
        title, rest = lines[0].lstrip("#").strip(), "\n".join(lines[1:])
    else:
        title, rest = path.stem, first
    stems = _stems(nb, path)
    figures = [png for png in sorted((root / "figures").glob("*.png"))
               if _named_after(png, stems) or figure_provenance(png)["notebook"] == path.name]
    tables = [p for p in sorted((root / "data" / "results").glob("*.csv")) if _named_after(p, stems)]
    return NotebookEntry(path, title, _question(rest), figures, tables)


def citation(root: Path | None = None) -> dict | None:
    """The preferred citation of ``CITATION.cff`` (authors' family names, year, title, venue, ids), if any."""
    root = repository() if root is None else root
    cff = root / "CITATION.cff"
    if not cff.is_file():
        return None
    import yaml

    paper = yaml.safe_load(cff.read_text(encoding="utf-8")).get("preferred-citation", {})
    return {"authors": [a.get("family-names") or a.get("name", "") for a in paper.get("authors", [])],
            "year": paper.get("year", ""), "title": paper.get("title", ""),
            "venue": paper.get("collection-title", ""),
            "ids": [i["value"] for i in paper.get("identifiers", [])], "file": cff}


# --- the build ----------------------------------------------------------------

def build_site(out: Path | None = None, *, root: Path | None = None, work: Path | None = None,
               api: bool = True, quiet: bool = True) -> Path:
    """Build ``docs/`` with Sphinx into ``out`` (default ``site/``); return ``out``.

    Warnings are errors (``-W --keep-going``: every problem is listed, then the
    build fails). Sphinx works in ``work`` (default ``build/site/``: its cache,
    the pages being built, myst-nb's output files); the new pages replace
    ``out`` as a whole only if the build succeeded, so no page from an earlier
    build survives a notebook's removal and a failed build leaves the old site.
    ``api=False`` leaves the API reference empty (for quick builds in tests).

    Raises
    ------
    RuntimeError
        If Sphinx reports a warning or an error (they are printed above).
    """
    from sphinx.cmd.build import build_main

    root = repository() if root is None else Path(root).resolve()
    out = Path(out) if out is not None else root / "site"
    work = Path(work) if work is not None else root / "build" / "site"
    staging, doctrees = work / "html", work / "doctrees"
    shutil.rmtree(staging, ignore_errors=True)
    argv = ["-b", "html", "-W", "--keep-going", "-d", str(doctrees), "-D", f"misalign_root={root}",
            "-D", f"misalign_api={int(api)}", str(root / "docs"), str(staging)]
    status = build_main((["-q"] if quiet else []) + argv)
    if status:
        # Sphinx reports a page's problems only when it reads the page: forget every page so the
        # next build reads them all again, rather than passing because nothing changed.
        shutil.rmtree(doctrees, ignore_errors=True)
        raise RuntimeError(f"the site did not build (sphinx-build exited with status {status}; "
                           "the problems are listed above)")
    shutil.rmtree(out, ignore_errors=True)
    shutil.move(staging, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m misalign.compendium.site", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: site/)")
    parser.add_argument("--work", type=Path, default=None, help="Sphinx's working folder (default: build/site/)")
    args = parser.parse_args(argv)
    try:
        out = build_site(args.out, work=args.work)
    except (RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pages = len(list(out.rglob("*.html")))
    print(f"{pages} pages written to {out}; open {out / 'index.html'} in a browser")
    return 0


if __name__ == "__main__":
    sys.exit(main())
