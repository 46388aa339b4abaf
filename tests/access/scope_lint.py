"""Static checks that every read of a scoped model passes the one gate (docs/architecture.md §1).

``unscoped_queries`` finds each use of a scoped model's manager that is not inside ``scoped(...)``;
``hand_filters`` finds each narrowing by partner, tenant or customer applied to a queryset that
did not come from ``scoped``. Both read every module of the package, not only selectors.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

MANAGERS = {"objects", "_base_manager", "_default_manager"}
# Creating a row reads nothing; the service that creates it checked its parent through scoped.
CREATES = {"create", "bulk_create"}
FILTER_BY_HAND = {
    "partner",
    "partner_id",
    "partner__id",
    "tenant",
    "tenant_id",
    "user__tenant",
    "tenant__partner_account",
    "customer",
    "customer_id",
}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _is_scoped_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (
        getattr(node.func, "id", None) == "scoped" or getattr(node.func, "attr", None) == "scoped"
    )


def _inside_scoped(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    child, cur = node, parents.get(node)
    while cur is not None:
        if _is_scoped_call(cur) and cur.args and child is cur.args[0]:
            return True
        child, cur = cur, parents.get(cur)
    return False


def _function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str:
    cur = parents.get(node)
    while cur is not None and not isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef)):
        cur = parents.get(cur)
    return cur.name if cur is not None else "<module>"


def _first_method(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str:
    parent = parents.get(node)
    return parent.attr if isinstance(parent, ast.Attribute) else ""


def unscoped_queries(src: Path, scoped_models: set[str]) -> Iterator[tuple[str, str, str]]:
    """(file:line, function, Model.manager.method) for each manager use outside ``scoped``."""
    for path in sorted(src.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        parents = _parents(tree)
        for node in sorted(
            ast.walk(tree), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))
        ):
            if not (
                isinstance(node, ast.Attribute)
                and node.attr in MANAGERS
                and isinstance(node.value, ast.Name)
                and node.value.id in scoped_models
            ):
                continue
            method = _first_method(node, parents)
            if method in CREATES or _inside_scoped(node, parents):
                continue
            where = f"{path.relative_to(src)}:{node.lineno}"
            yield where, _function(node, parents), f"{node.value.id}.{node.attr}.{method}"


def _chain_root(node: ast.AST) -> ast.AST:
    while True:
        if isinstance(node, ast.Call):
            if _is_scoped_call(node):
                return node
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        else:
            return node


def _names_from_scoped(func: ast.AST) -> set[str]:
    """Names a function binds to a queryset that came from ``scoped`` (directly or narrowed)."""
    names: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in ast.walk(func):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                root = _chain_root(node.value)
                if _is_scoped_call(root) or (isinstance(root, ast.Name) and root.id in names):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for t in targets:
                        if isinstance(t, ast.Name) and t.id not in names:
                            names.add(t.id)
                            changed = True
    return names


def hand_filters(src: Path) -> Iterator[str]:
    for path in sorted(src.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        parents = _parents(tree)
        shapes = _shapes(tree)
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            from_scoped = _names_from_scoped(func)
            if func.name in shapes and func.args.args:
                from_scoped.add(func.args.args[0].arg)  # scoped_values hands it the scoped queryset
            for node in sorted(ast.walk(func), key=lambda n: getattr(n, "lineno", 0)):
                if not (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "attr", "") in {"filter", "get", "exclude"}
                ):
                    continue
                hand = [kw.arg for kw in node.keywords if kw.arg in FILTER_BY_HAND and not _joins(kw)]
                if not hand:
                    continue
                root = _chain_root(node.func)
                if _is_scoped_call(root) or (isinstance(root, ast.Name) and root.id in from_scoped):
                    continue
                if _inside_scoped(node, parents):
                    continue
                yield f"{path.relative_to(src)}:{node.lineno} {func.name} {', '.join(hand)}="


def _shapes(tree: ast.AST) -> set[str]:
    """Functions a module passes to ``scoped_values`` as a query's shape (its fourth argument)."""
    return {
        node.args[3].id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", "")) == "scoped_values"
        and len(node.args) > 3
        and isinstance(node.args[3], ast.Name)
    }


def _joins(kw: ast.keyword) -> bool:
    # tenant_id=OuterRef(...) correlates a subquery with its outer row: a join, not a narrowing
    # (the subquery itself must still go through ``scoped``).
    return isinstance(kw.value, ast.Call) and getattr(kw.value.func, "id", "") == "OuterRef"
