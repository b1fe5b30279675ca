"""The package's dependency rules (docs/architecture.md), checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import glueflake

SRC = Path(glueflake.__file__).parent


def _imports(package: str) -> dict[str, set[str]]:
    """Per module file under `package`: the glueflake modules it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((SRC / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
                names.add("importlib.import_module")
        found[str(path.relative_to(SRC))] = {
            n for n in names if n.startswith(("glueflake", "importlib"))
        }
    return found


def test_the_loader_never_imports_deploy_nor_loads_modules_by_name() -> None:
    for module, names in _imports("load").items():
        assert not {n for n in names if n.startswith("glueflake.deploy")}, module
        assert "importlib.import_module" not in names and "importlib" not in names, module


def test_a_warehouse_backend_never_imports_another_backend() -> None:
    for backend, other in (("duckdb", "snowflake"), ("snowflake", "duckdb")):
        for module, names in _imports(f"load/{backend}").items():
            assert not {n for n in names if n.startswith(f"glueflake.load.{other}")}, module


def _module_file(name: str) -> str | None:
    """The source file of module ``glueflake.x.y`` (None: a package's face, or not ours)."""
    path = SRC.joinpath(*name.split(".")[1:]).with_suffix(".py")
    return str(path.relative_to(SRC)) if path.is_file() else None


def test_no_module_imports_itself_through_others() -> None:
    # Imports under TYPE_CHECKING count too: a type that two modules need lives in a
    # third (extract/worked.py once closed the http <-> workers circle).
    graph = {
        module: {f for n in names if (f := _module_file(n)) is not None and f != module}
        for module, names in _imports("").items()
    }
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError(" -> ".join([*path[path.index(module) :], module]))
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
