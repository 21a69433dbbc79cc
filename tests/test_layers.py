"""The house: engine/ is the pure engine, lab/ is plain Python view logic, only app/ and the pages use Streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STREAMLIT_FREE = ("engine", "lab")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file (top level, functions, try blocks)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def files_of(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


@pytest.mark.parametrize(
    "path", [p for folder in STREAMLIT_FREE for p in files_of(folder)], ids=lambda p: str(p.relative_to(REPO))
)
def test_engine_and_lab_never_import_streamlit(path: Path) -> None:
    streamlit = {m for m in imported_modules(path) if m == "streamlit" or m.startswith("streamlit.")}
    assert not streamlit, f"{path.relative_to(REPO)} imports {streamlit}: Streamlit belongs in app/ and app_pages/"


@pytest.mark.parametrize("path", files_of("engine"), ids=lambda p: str(p.relative_to(REPO)))
def test_the_engine_imports_only_the_standard_library_and_itself(path: Path) -> None:
    import sys

    outside = {m for m in imported_modules(path) if m.split(".")[0] not in sys.stdlib_module_names | {"engine"}}
    assert not outside, f"{path.relative_to(REPO)} imports {outside}: engine/ is standard library only"


@pytest.mark.parametrize("path", files_of("lab") + files_of("engine"), ids=lambda p: str(p.relative_to(REPO)))
def test_layers_only_point_down(path: Path) -> None:
    """pages -> app -> lab -> engine: nothing below imports what is above it."""
    above = {"engine": ("lab", "app", "app_pages"), "lab": ("app", "app_pages")}[path.relative_to(REPO).parts[0]]
    upward = {m for m in imported_modules(path) if m.split(".")[0] in above}
    assert not upward, f"{path.relative_to(REPO)} imports {upward} from a layer above it"
