"""The package's layering: each part imports only the parts upstream of it (see each subpackage's docstring)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "geo_screen"

#: the parts in the order data flows; a part may import the base modules and the parts before it
PARTS = ("inputs", "pack", "grading", "screening", "outputs", "ledger", "engines", "app")
#: base modules every part may import; they import no part themselves
BASE = ("errors", "vocabulary", "results", "records", "coded", "threads", "runtime", "yamlfile")


def _imports(path: Path) -> set[str]:
    """The geo_screen modules ``path`` imports (at any depth), as dotted names below ``geo_screen``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "geo_screen":
            if node.module == "geo_screen":
                found |= {alias.name for alias in node.names}
            else:
                found.add(node.module.removeprefix("geo_screen."))
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("geo_screen.") for a in node.names if a.name.startswith("geo_screen.")}
    return found


def _part(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize("part", PARTS)
def test_a_part_imports_only_the_base_and_parts_upstream(part):
    allowed = set(BASE) | set(PARTS[: PARTS.index(part) + 1])
    wrong = {
        f"{path.relative_to(PACKAGE)} imports geo_screen.{module}"
        for path in (PACKAGE / part).rglob("*.py")
        for module in _imports(path)
        if _part(module) not in allowed and module != "__version__"
    }
    assert not wrong, sorted(wrong)


def _base_files(name: str) -> list[Path]:
    """A base module's file, or every module of a base package (the vocabulary)."""
    return [PACKAGE / f"{name}.py"] if (PACKAGE / f"{name}.py").exists() else sorted((PACKAGE / name).rglob("*.py"))


@pytest.mark.parametrize("name", BASE)
def test_base_modules_import_no_part(name):
    files = _base_files(name)
    assert files, f"base module geo_screen.{name} not found"
    imported = {_part(m) for path in files for m in _imports(path)}
    assert not imported & set(PARTS), sorted(imported & set(PARTS))


@pytest.mark.parametrize("part", PARTS)
def test_each_part_says_what_it_owns_and_what_it_never_imports(part):
    doc = ast.get_docstring(ast.parse((PACKAGE / part / "__init__.py").read_text("utf-8")))
    assert doc and "Owns" in doc and ("never" in doc or "nothing in the package imports it" in doc)


#: the widget layer: the only modules of the package that import streamlit (or its components)
PAGE = PACKAGE / "app" / "page"
STREAMLIT = ("streamlit", "streamlit_folium", "streamlit_authenticator")


def _roots(path: Path) -> set[str]:
    """The top-level packages ``path`` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_page_package_imports_streamlit():
    wrong = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if PAGE not in path.parents and _roots(path) & set(STREAMLIT)
    )
    assert not wrong, wrong
    assert any(_roots(path) & set(STREAMLIT) for path in PAGE.glob("*.py"))


def test_nothing_outside_the_page_package_imports_it():
    wrong = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if PAGE not in path.parents and any(m == "app.page" or m.startswith("app.page.") for m in _imports(path))
    )
    assert not wrong, wrong


def test_page_modules_stay_small():
    long = {p.name: n for p in PAGE.glob("*.py") if (n := len(p.read_text("utf-8").splitlines())) > 300}
    assert not long, long
