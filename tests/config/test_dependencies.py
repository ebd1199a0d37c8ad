"""Every third-party module the project imports comes from a distribution pyproject.toml names."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", ".local", ".git", "node_modules", "migrations"}
# Distributions that only bring type stubs or plugins: nothing imports them by name.
NOT_IMPORTED = {"django-stubs", "djangorestframework-stubs", "celery-types", "uv"}


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {_normal(re.split(r"[\s<>=!~\[;]", r, maxsplit=1)[0]) for r in requirements}

    return names(project["dependencies"]), names(project["optional-dependencies"]["dev"])


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _top_level_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _sources(*tops: str) -> list[Path]:
    paths: list[Path] = []
    for top in tops:
        for path in (BASE_DIR / top).rglob("*.py"):
            if not SKIPPED_DIRS.intersection(path.relative_to(BASE_DIR).parts):
                paths.append(path)
    return paths


def _third_party(paths: list[Path]) -> dict[str, set[str]]:
    """Imported module -> the distributions that provide it (none for our own packages)."""
    local = {p.name for p in BASE_DIR.iterdir() if p.is_dir() or p.suffix == ".py"}
    local |= {p.stem for p in BASE_DIR.iterdir() if p.suffix == ".py"}
    providers = packages_distributions()
    imported: set[str] = set()
    for path in paths:
        imported |= _top_level_imports(path)
    return {
        module: {_normal(d) for d in providers.get(module, [])}
        for module in sorted(imported)
        if module not in sys.stdlib_module_names and module not in local and module != "__future__"
    }


def _app_dirs() -> list[str]:
    return [
        p.name
        for p in BASE_DIR.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name != "tests"
    ]


def test_the_apps_import_only_runtime_dependencies() -> None:
    runtime, _dev = _declared()
    missing = {
        module: dists
        for module, dists in _third_party(_sources(*_app_dirs())).items()
        if not dists & runtime
    }
    assert missing == {}, f"imported by the apps but not in [project] dependencies: {missing}"


def test_tests_and_benchmarks_import_only_declared_dependencies() -> None:
    runtime, dev = _declared()
    missing = {
        module: dists
        for module, dists in _third_party(_sources("tests", "bench")).items()
        if not dists & (runtime | dev)
    }
    assert missing == {}, f"imported by tests or bench but not declared: {missing}"


def test_every_declared_dependency_is_installed_and_used_or_known() -> None:
    runtime, dev = _declared()
    providers = {_normal(d) for dists in packages_distributions().values() for d in dists}
    assert (runtime | dev) - providers - NOT_IMPORTED == set()
