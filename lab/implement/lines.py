"""Where things are in the learner's code: the line a check's message names and the editor marks.

Read from the syntax tree the whitelist already made (sandbox/code_reader.py): their methods, the line that
makes `out`, the line that adds to an input's grad, the loop that calls `_backward`, their DFS function.
Every finder falls back to the method's own `def` line, so a message names a line whenever the method exists.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator


def _is_grad(target: ast.AST) -> bool:
    return isinstance(target, ast.Attribute) and target.attr == "grad"


def _base_name(node: ast.AST) -> str | None:
    """`self` of `self.grad`; None when the base is not a plain name (`Value.last.grad`)."""
    return node.value.id if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) else None


def _own_walk(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's body, not those of functions defined inside it."""
    todo = list(ast.iter_child_nodes(node))
    while todo:
        item = todo.pop(0)
        yield item
        if not isinstance(item, (ast.FunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(item))


class Places:
    """Lines in the learner's code, found in the syntax tree of their class `Value`."""

    def __init__(self, tree: ast.Module):
        self.methods: dict[str, ast.FunctionDef] = {}
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == "Value":
                for item in node.body:
                    if isinstance(item, ast.FunctionDef):
                        self.methods[item.name] = item

    def method_line(self, name: str) -> int | None:
        method = self.methods.get(name)
        return method.lineno if method else None

    def _walk(self, name: str) -> list[ast.AST]:
        method = self.methods.get(name)
        return list(ast.walk(method)) if method else []

    def _params(self, name: str) -> list[str]:
        method = self.methods.get(name)
        return [a.arg for a in method.args.args] if method else []

    # -- an operator -------------------------------------------------------------------------------------

    def _grad_changes(self, method: str) -> list[ast.Assign | ast.AugAssign]:
        found = []
        for node in self._walk(method):
            if (isinstance(node, ast.AugAssign) and _is_grad(node.target)) or (
                isinstance(node, ast.Assign) and any(_is_grad(t) for t in node.targets)
            ):
                found.append(node)
        return sorted(found, key=lambda n: n.lineno)

    @staticmethod
    def _targets(node: ast.Assign | ast.AugAssign) -> list[ast.AST]:
        return [node.target] if isinstance(node, ast.AugAssign) else [t for t in node.targets if _is_grad(t)]

    def rule_line(self, method: str, operand: int | None = None) -> int | None:
        """The line of the method that changes its `operand`'s grad (0: self's, 1: other's), else the first line
        that changes a grad, else the method's `def`."""
        changes = self._grad_changes(method)
        params = self._params(method)
        if operand is not None and operand < len(params):
            for node in changes:
                if any(_base_name(t) == params[operand] for t in self._targets(node)):
                    return node.lineno
        return changes[0].lineno if changes else self.method_line(method)

    def overwrite_line(self, method: str) -> int | None:
        """The first `x.grad = ...` that does not add to x.grad (`=` where `+=` belongs), else the rule's line."""
        for node in self._grad_changes(method):
            if isinstance(node, ast.Assign):
                target = self._targets(node)[0]
                if not any(ast.dump(part) == ast.dump(target) for part in ast.walk(node.value)):
                    return node.lineno
        return self.rule_line(method)

    def out_name(self, method: str) -> str | None:
        for node in self._walk(method):
            if isinstance(node, ast.Assign) and _is_value_call(node.value) and isinstance(node.targets[0], ast.Name):
                return node.targets[0].id
        return None

    def out_line(self, method: str) -> int | None:
        """The line that makes `out`: the first `Value(...)` call in the method, else its `def`."""
        for node in self._walk(method):
            if _is_value_call(node):
                return node.lineno
        return self.method_line(method)

    def shared_read_line(self, method: str) -> int | None:
        """The first line that changes a grad with the grad of something other than the method's own `out`
        (`Value.last.grad`, `self.out.grad`): a `_backward` that reads a shared or later name."""
        out = self.out_name(method) or "out"
        for node in self._grad_changes(method):
            targets = [ast.dump(t) for t in self._targets(node)]
            for part in ast.walk(node.value):
                if not _is_grad(part) or ast.dump(part) in targets:
                    continue
                if not (isinstance(part.value, ast.Name) and part.value.id == out):
                    return node.lineno
        return self.rule_line(method)

    def backward_set_line(self, method: str) -> int | None:
        """Where `out._backward = _backward` belongs: an assignment to an input's `_backward` if there is one,
        else the method's `return`, else its `def`."""
        for node in self._walk(method):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if (
                        isinstance(t, ast.Attribute)
                        and t.attr == "_backward"
                        and _base_name(t) != self.out_name(method)
                    ):
                        return node.lineno
        method_node = self.methods.get(method)
        if method_node is not None:
            for node in _own_walk(method_node):
                if isinstance(node, ast.Return):
                    return node.lineno
        return self.method_line(method)

    # -- backward() --------------------------------------------------------------------------------------

    def seed_line(self) -> int | None:
        """backward()'s own `self.grad = ...`, else its `def`."""
        method = self.methods.get("backward")
        if method is None:
            return None
        params = self._params("backward")
        for node in _own_walk(method):
            if isinstance(node, ast.Assign) and any(_is_grad(t) and _base_name(t) in params[:1] for t in node.targets):
                return node.lineno
        return method.lineno

    def _loop(self) -> ast.For | None:
        """backward()'s loop that calls `_backward`."""
        method = self.methods.get("backward")
        if method is None:
            return None
        for node in _own_walk(method):
            if isinstance(node, (ast.For, ast.While)) and any(
                isinstance(part, ast.Attribute) and part.attr == "_backward" for part in ast.walk(node)
            ):
                return node if isinstance(node, ast.For) else None
        return None

    def _dfs(self) -> ast.FunctionDef | None:
        """The function inside backward() that builds the order (build_topo), if there is one."""
        method = self.methods.get("backward")
        if method is None:
            return None
        return next((n for n in ast.walk(method) if isinstance(n, ast.FunctionDef) and n is not method), None)

    def loop_line(self) -> int | None:
        loop = self._loop()
        return loop.lineno if loop else self.method_line("backward")

    def order_line(self) -> int | None:
        """The line that puts the nodes out of order: a loop over the order that is not reversed; else, in the
        DFS function, a node appended before its children are visited; else the loop."""
        loop = self._loop()
        reverses = any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "reverse"
            for n in self._walk("backward")
        )
        if loop is not None and not _reversed(loop.iter) and not reverses:
            return loop.lineno
        dfs = self._dfs()
        if dfs is not None:
            visits = [n.lineno for n in ast.walk(dfs) if isinstance(n, (ast.For, ast.While)) or _recurses(n, dfs)]
            appends = [n.lineno for n in ast.walk(dfs) if _is_append(n)]
            if visits and appends and min(appends) < min(visits):
                return min(appends)
        return loop.lineno if loop else self.method_line("backward")

    def once_line(self) -> int | None:
        """Where a node reached twice should be skipped: the DFS function's `if ... not in ...` if there is one,
        else the DFS function's `def`, else the loop."""
        dfs = self._dfs()
        if dfs is not None:
            for node in ast.walk(dfs):
                if isinstance(node, ast.If) and any(
                    isinstance(op, ast.NotIn) for c in ast.walk(node.test) if isinstance(c, ast.Compare) for op in c.ops
                ):
                    return node.lineno
            return dfs.lineno
        return self.loop_line()


def _is_value_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Value"


def _reversed(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "reversed":
        return True
    return isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice) and node.slice.step is not None


def _is_append(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append"


def _recurses(node: ast.AST, dfs: ast.FunctionDef) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == dfs.name
