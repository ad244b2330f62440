"""Sphinx configuration of the compendium's website: ``make site`` builds it into ``site/``, offline.

Notebooks are rendered by myst-nb from their stored outputs (never executed),
docstrings by numpydoc, formulas as MathML by our extension (``_ext/misalign_docs.py``).
Nothing is loaded from the network, to build or to read.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

import misalign  # noqa: E402

project = "misalign"
author = "the misalign contributors"
copyright = "2025, the misalign contributors"
version = release = misalign.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_nb",
    "misalign_docs",
]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
templates_path = []

# --- notebooks (myst-nb) ---
nb_execution_mode = "off"  # the stored outputs, as committed; never re-executed
nb_ipywidgets_js = {}  # the default loads the widget manager from a CDN; widget views become a note instead
nb_render_markdown_format = "myst"  # text/markdown outputs get dollar math too
myst_enable_extensions = ["dollarmath"]
myst_dmath_double_inline = True  # $$...$$ inside a paragraph, as JupyterLab shows it

# --- the API reference (autodoc, numpydoc) ---
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpydoc "Parameters" sections give the types
autosummary_generate = False  # our extension writes the module pages (api/)
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# --- HTML ---
html_theme = "sphinx_book_theme"
html_title = f"misalign {release}"
html_math_renderer = "mathml"  # our extension: MathML at build time, no MathJax
html_static_path = ["_static"]
html_css_files = ["misalign.css"]
html_show_search_summary = False  # summaries are fetched page by page, which file:// forbids
html_last_updated_fmt = None
html_context = {"default_mode": "light"}  # the theme's switch offers dark and auto
html_theme_options = {
    "show_navbar_depth": 1,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}

# Docstrings list their references (numpydoc "References" sections) without always citing them in the text.
suppress_warnings = ["ref.citation"]
