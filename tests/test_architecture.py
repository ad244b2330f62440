"""The package's layout as ARCHITECTURE.md describes it: one-way arrows, no private imports, a light import."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "misalign"

# Each layer may import itself and the layers listed for it (and the standard
# library and third-party packages); nothing imports upwards.
ALLOWED = {
    "util": set(),
    "core": {"util"},
    "analysis": {"util", "core"},
    "simulation": {"util", "core", "analysis"},
    "tables": {"util", "core", "analysis"},
    "neighbours": {"util", "core"},
    "compendium": {"util", "core", "analysis", "simulation", "tables", "neighbours", "__init__"},
    "cli": {"util", "core", "analysis", "simulation", "tables", "neighbours", "compendium", "__init__"},
    "__main__": {"cli"},
    "__init__": {"core"},
}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        yield path, rel.parts


def _layer(parts: tuple[str, ...]) -> str:
    return parts[0]


def _imports(path: Path, parts: tuple[str, ...]):
    """(absolute module imported, names imported from it) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ["misalign", *parts[:-1]] if parts[-1] != "__init__" else ["misalign", *parts[:-1]]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def test_no_module_imports_another_modules_private_name():
    offences = []
    for path, parts in _modules():
        for module, names in _imports(path, parts):
            if not module.startswith("misalign"):
                continue
            if any(p.startswith("_") and p not in ("__init__",) for p in module.split(".")):
                offences.append(f"{path.relative_to(PACKAGE)} imports private module {module}")
            for name in names:
                if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
                    offences.append(f"{path.relative_to(PACKAGE)} imports {module}.{name}")
    assert not offences, "\n".join(offences)


def test_layers_import_only_downwards():
    offences = []
    for path, parts in _modules():
        mine = _layer(parts)
        allowed = ALLOWED[mine] | {mine}
        for module, names in _imports(path, parts):
            if not module.startswith("misalign"):
                continue
            target = module.split(".")[1:] or ["__init__"]
            if target == ["__init__"] and names:
                # `from .. import __version__` or a subpackage: the name decides
                target = [names[0]] if (PACKAGE / names[0]).exists() or (PACKAGE / f"{names[0]}.py").exists() \
                    else ["__init__"]
            if target[0] not in allowed:
                offences.append(f"{path.relative_to(PACKAGE)} ({mine}) imports {module} ({target[0]})")
    assert not offences, "\n".join(offences)


def test_import_misalign_is_light_and_sets_no_global_state():
    code = (
        "import sys, json; import misalign; "
        "print(json.dumps(sorted(m for m in ('pandas', 'matplotlib', 'scipy', 'dask', 'numba', 'pyarrow', "
        "'seaborn', 'IPython', 'papermill') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize("name", ["score_frame", "load_scenario", "score_interval", "group_decomposition"])
def test_public_names_load_on_first_use(name):
    import misalign

    assert callable(getattr(misalign, name))
