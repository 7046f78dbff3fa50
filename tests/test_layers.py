"""Layering: ui uses qa, qa uses index, never the reverse; `import qa` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = {"index": {"qa", "ui", "gradio"}, "qa": {"ui", "gradio"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_do_not_import_upper_ones(package: str) -> None:
    files = sorted((REPO / package).rglob("*.py"))
    assert files
    for path in files:
        bad = _imports(path) & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_import_qa_is_light() -> None:
    code = (
        "import sys, qa\n"
        "heavy = [m for m in ('gradio', 'torch', 'sentence_transformers', 'faiss') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert out.stdout.strip() == "", f"import qa pulled in {out.stdout.strip()}"


PACKAGES = ("qa", "index", "ui")
CHECKED = ("qa", "index", "ui", "benchmarks")


def _private_uses(path: Path, own: str) -> list[str]:
    """Imports of another package's private module (``qa._x``, ``from index import _y``)
    and attribute uses of one (``index._pg.connect`` after ``import index``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []

    def private(module: str) -> bool:
        head, _, rest = module.partition(".")
        return head in PACKAGES and head != own and rest.startswith("_")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if private(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if private(node.module):
                found.append(f"from {node.module} import ...")
            elif node.module in PACKAGES and node.module != own:
                found += [
                    f"from {node.module} import {a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                ]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in PACKAGES
            and node.value.id != own
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{node.value.id}.{node.attr} (line {node.lineno})")
    return found


@pytest.mark.parametrize("package", CHECKED)
def test_packages_use_only_each_others_public_names(package: str) -> None:
    files = sorted((REPO / package).rglob("*.py"))
    assert files
    bad = {
        str(path.relative_to(REPO)): uses
        for path in files
        if (uses := _private_uses(path, package))
    }
    assert not bad, f"private modules of another package used: {bad}"


def test_the_private_module_check_catches_each_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import index\nimport index._pg\nfrom qa._bot import Bot\nfrom index import _store\n"
        "from qa import tuning\nfrom index.parts import terms\nindex._lexical.K1\nindex.parts\n",
        encoding="utf-8",
    )
    assert _private_uses(sample, "ui") == [
        "import index._pg",
        "from qa._bot import ...",
        "from index import _store",
        "index._lexical (line 7)",
    ]
    assert _private_uses(sample, "index") == ["from qa._bot import ..."]


@pytest.mark.parametrize("package", ["qa", "index"])
def test_the_namespace_is_the_public_api(package: str) -> None:
    # What `import qa` / `import index` offers is exactly its __all__ (plus its modules).
    import importlib
    import inspect

    module = importlib.import_module(package)
    names = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert names == set(module.__all__)
    assert len(module.__all__) <= 32  # a user's handful, not every helper
    for name in module.__all__:
        value = getattr(module, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert value.__doc__, f"{package}.{name} has no docstring"
