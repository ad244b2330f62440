"""Writing figures and result tables: atomically, byte-for-byte reproducibly, with provenance.

Every file is written to a temporary name in its destination folder and then
renamed, so a crash never leaves half a file behind. PNG and SVG files carry
the notebook, its parameters and the package version in their metadata, and
no timestamp, so that a rebuild with the same parameters gives the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pandas as pd

from .. import __version__
from ..util import atomic_write
from .paths import figures_dir, output_root, results_dir

# Fixed so that SVG element ids do not depend on a random salt.
matplotlib.rcParams["svg.hashsalt"] = "misalign"


def _atomic(path: Path, write) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, write)


def parameters(namespace: dict | None = None) -> dict:
    """The notebook's parameters, read from its cell tagged ``parameters`` itself: no name can be left out.

    The parameters cell is the first code cell a notebook runs; papermill runs
    its injected cell (which starts with ``# Parameters``) right after it. Every
    name assigned at the top level of those cells is returned with its current
    value in ``namespace`` (the notebook's globals by default).
    """
    import ast

    if namespace is None:
        from IPython import get_ipython

        namespace = get_ipython().user_ns
    history = namespace.get("In") or namespace.get("_ih") or []
    cells = [src for i, src in enumerate(history) if i == 1 or src.lstrip().startswith("# Parameters")]
    names: list[str] = []
    for src in cells:
        for node in ast.parse(src).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                node, (ast.AnnAssign, ast.AugAssign)) else []
            stack = list(targets)
            while stack:
                t = stack.pop(0)
                if isinstance(t, (ast.Tuple, ast.List)):
                    stack[:0] = list(t.elts)
                elif isinstance(t, ast.Name) and t.id not in names:
                    names.append(t.id)
    return {name: namespace[name] for name in names if name in namespace}


def provenance(notebook: str, params: dict) -> dict:
    """Metadata stored in every figure: which notebook made it, how, with what."""
    return {
        "notebook": notebook,
        "parameters": json.dumps(params, sort_keys=True, default=str),
        "software": f"misalign {__version__}, matplotlib {matplotlib.__version__}",
    }


def save_figure(fig, stem: str, *, notebook: str, params: dict, close: bool = True):
    """Write ``figures/<stem>.png`` and ``.svg``; return the PNG for display.

    Returns an :class:`IPython.display.Image` so that a notebook cell ending in
    ``save_figure(...)`` shows exactly the file that was written.
    """
    meta = provenance(notebook, params)
    png_meta = {
        "Title": stem,
        "Source": meta["notebook"],
        "Description": meta["parameters"],
        "Software": meta["software"],
    }
    svg_meta = {
        "Title": stem,
        "Source": meta["notebook"],
        "Description": meta["parameters"],
        "Creator": meta["software"],
        "Date": None,
    }
    out = figures_dir()
    png = _atomic(out / f"{stem}.png",
                  lambda t: fig.savefig(t, format="png", dpi=150, metadata=png_meta, bbox_inches="tight"))
    _atomic(out / f"{stem}.svg", lambda t: fig.savefig(t, format="svg", metadata=svg_meta, bbox_inches="tight"))
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    try:
        from IPython.display import Image
    except ImportError:  # pragma: no cover - IPython ships with the notebook extras
        return png
    return Image(filename=str(png))


def write_results(df: pd.DataFrame, stem: str) -> Path:
    """Write ``data/results/<stem>.csv`` with a fixed float format."""
    return _atomic(results_dir() / f"{stem}.csv",
                   lambda t: df.to_csv(t, index=False, float_format="%.10g", lineterminator="\n"))


def relative(path: Path) -> str:
    """A path as shown to readers: relative to the output root, never absolute."""
    return Path(path).resolve().relative_to(output_root().resolve()).as_posix()
