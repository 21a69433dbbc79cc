"""Every Hypothesis test draws the same examples on every run (derandomized, or a fixed @seed), as the
README promises for the property tests: a red run can be repeated, and CI does not turn red by luck.

Read from the test files' source (nothing is imported or run): a test with @given needs @seed(...) or
@settings(..., derandomize=True).
"""

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FILES = sorted(path for path in TESTS.glob("test_*.py"))


def _name(decorator: ast.expr) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")


def _derandomized(decorator: ast.expr) -> bool:
    return (
        isinstance(decorator, ast.Call)
        and _name(decorator) == "settings"
        and any(
            k.arg == "derandomize" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in decorator.keywords
        )
    )


def hypothesis_tests(path: Path) -> list[ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and any(_name(d) == "given" for d in node.decorator_list)
    ]


def repeatable(test: ast.FunctionDef) -> bool:
    return any(_name(d) == "seed" or _derandomized(d) for d in test.decorator_list)


def test_the_check_finds_the_hypothesis_tests_it_is_about():
    found = {path.name: [t.name for t in hypothesis_tests(path)] for path in FILES}
    assert len(found["test_why_rules.py"]) == 3
    assert "test_random_expressions_gradients_agree_with_central_differences" in found["test_parser_properties.py"]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_every_hypothesis_test_is_derandomized_or_seeded(path):
    loose = [test.name for test in hypothesis_tests(path) if not repeatable(test)]
    assert not loose, f"{path.name}: {loose} draw other examples on every run: add derandomize=True or @seed"
