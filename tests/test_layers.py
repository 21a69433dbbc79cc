"""The house: engine/ is the pure engine, lab/ is plain Python in packages that only point down, only app/ and
the pages use Streamlit, and no module imports itself back through others (no cycle anywhere)."""

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


# lab's packages, lowest first: each may import the ones before it, never one after it
LAB_PACKAGES = ("model", "work", "implement", "views", "lesson", "report", "room")


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def lab_modules_imported(path: Path) -> set[str]:
    """The lab modules a file imports (`from lab.views import bugs` counts as lab.views.bugs)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("lab."))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("lab"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {m for m in found if (REPO / Path(*m.split("."))).with_suffix(".py").exists()}


def test_every_lab_package_is_in_the_order_and_says_its_job():
    packages = {p.parent.name for p in (REPO / "lab").glob("*/__init__.py")}
    assert packages == set(LAB_PACKAGES), "a package of lab/ is missing from LAB_PACKAGES (or gone)"
    for name in LAB_PACKAGES:
        docstring = ast.get_docstring(ast.parse((REPO / "lab" / name / "__init__.py").read_text(encoding="utf-8")))
        assert docstring and docstring.strip(), f"lab/{name}/__init__.py: its docstring states the package's job"
    assert not list((REPO / "lab").glob("*.py"))[1:], "lab/ holds packages; only its __init__.py is a module"


@pytest.mark.parametrize("path", files_of("lab"), ids=lambda p: str(p.relative_to(REPO)))
def test_lab_packages_only_import_packages_below_them(path: Path) -> None:
    if len(path.relative_to(REPO).parts) < 3:
        return
    mine = LAB_PACKAGES.index(path.relative_to(REPO).parts[1])
    upward = {m for m in lab_modules_imported(path) if LAB_PACKAGES.index(m.split(".")[1]) > mine}
    assert not upward, f"{path.relative_to(REPO)} imports {upward}: a package may use only those below it"


@pytest.mark.parametrize("path", files_of("lab/views"), ids=lambda p: str(p.relative_to(REPO)))
def test_one_pages_logic_never_imports_another_pages(path: Path) -> None:
    """What two pages share goes down into lab/model: a page's logic is read, and changed, on its own."""
    others = {m for m in lab_modules_imported(path) if m.startswith("lab.views.")}
    assert not others, f"{path.relative_to(REPO)} imports {others}: move what they share down into lab/model"


def import_graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports (at any depth of the file), over engine, sandbox, lab, app."""
    paths = {module_name(p): p for folder in ("engine", "sandbox", "lab", "app") for p in files_of(folder)}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = {f"{node.module}.{alias.name}" for alias in node.names} & paths.keys()
                found.update(modules)  # `from engine import operators` is engine.operators
                if len(modules) < len(node.names):
                    found.add(node.module)  # a name defined in the module itself
        graph[name] = {m for m in found if m in paths and m != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of imports (its modules in order, the first again at the end), or None: depth first, no recursion."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in sorted(graph):
        if root in state:
            continue
        path, stack = [root], [iter(sorted(graph[root]))]
        state[root] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(child) == 1:
                return [*path[path.index(child) :], child]
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append(iter(sorted(graph.get(child, ()))))
    return None


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_no_import_cycle_anywhere():
    cycle = find_cycle(import_graph())
    assert cycle is None, "an import cycle: " + " -> ".join(cycle or [])
