"""The modules of blog/ import one another without a circle, at any depth of the code."""

from __future__ import annotations

import ast
from pathlib import Path

BLOG = Path(__file__).resolve().parents[1] / "blog"


def module_name(path: Path) -> str:
    parts = path.relative_to(BLOG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of_blog() -> dict[str, set[str]]:
    """Return each module of blog/ with the modules of blog/ it imports, wherever it does."""
    modules = {module_name(path): path for path in BLOG.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                # `from blog import preflight` imports the module blog.preflight; `from blog
                # import x` takes x from blog/__init__.py.
                named = {f"{node.module}.{alias.name}" for alias in node.names}
                targets |= named & modules.keys()
                if named - modules.keys():
                    targets.add(node.module)
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def circle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """Return a path of imports from `start` back to itself, if there is one."""
    paths = [[start]]
    seen = set()
    while paths:
        path = paths.pop()
        for following in sorted(graph[path[-1]]):
            if following == start:
                return [*path, start]
            if following not in seen:
                seen.add(following)
                paths.append([*path, following])
    return None


def test_blog_has_no_import_circle() -> None:
    graph = imports_of_blog()

    assert {"blog", "blog.models", "blog.api"} <= graph.keys()  # it sees the modules
    assert any(graph.values())  # and their imports
    assert {name: circle_through(graph, name) for name in graph} == dict.fromkeys(graph)


def test_a_circle_is_found_where_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    assert circle_through(graph, "a") == ["a", "b", "c", "a"]
    assert circle_through(graph, "d") is None
