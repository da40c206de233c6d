"""No import circles inside bot/ or between bot/ and actions/ (every import counts, also those
inside functions: a lazy import that hides a circle is still a circle), and the bridge's desk
stays in parts of about one screenful each."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "actions")
DESK_PART_MAX_LINES = 260
# Older modules of the desk that are not routing parts (accounts, store, the lexicon scorer).
NOT_PARTS = {"store.py", "frustration.py", "frustration_eval.py", "models.py"}


def project_modules() -> Dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[name[: -len(".__init__")] if name.endswith(".__init__") else name] = path
    return modules


def imported(path: Path, name: str, modules: Dict[str, Path]) -> Set[str]:
    found: Set[str] = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {module for module in found if module in modules and module != name}


def circles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_circles_are_found_when_there_is_one():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_in_bot_and_actions():
    modules = project_modules()
    graph = {name: imported(path, name, modules) for name, path in modules.items()}
    assert graph["bot.desk.app"], "the import reader found nothing: it is broken"
    assert circles(graph) == []


def test_every_part_of_the_desk_is_about_one_screenful():
    long = {path.name: n for path in (ROOT / "bot" / "desk").glob("*.py")
            if path.name not in NOT_PARTS and (n := len(path.read_text(encoding="utf-8").splitlines())) > DESK_PART_MAX_LINES}
    assert long == {}
