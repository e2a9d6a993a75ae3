"""Mutation testing of the sync engine, the importer and the exporter: a small AST mutator.

Why our own: the three modules are mutated in a throwaway copy of the tree (so
the working tree, and ``engine.py`` that others edit, are never touched), each
against only its own tests, one mutant at a time, with nothing to configure in
the shared ``pyproject.toml``.

Operators (classic ones, one change per mutant):

* ``cmp``: comparison flips (== !=, < >=, <= >, in / not in, is / is not);
* ``bool``: ``and`` <-> ``or``; ``not x`` -> ``x``; ``if c`` / ``while c`` -> ``not c``;
* ``const``: True <-> False, numbers n -> n + 1, short strings (formula prefixes, keys)
  -> ``"XX" + s``; docstrings and log calls are left alone;
* ``binop``: + <-> -, * <-> /, | -> &;
* ``del``: a simple statement (call, assignment, raise, break, continue) -> ``pass``;
* ``return``: ``return x`` -> ``return None``.

A mutant is *killed* when its tests fail (or hang past the timeout). The score
is killed / all. Each mutant has a stable id (module:line:col:operator:n), so a
survivor can be looked at again with ``--only``.

Usage:
    python bench/mutation.py [--module engine|importer|export|all] [--rev REV]
                             [--json OUT.json] [--only ID ...] [--list]
                             [--sample N] [--seed S]

``--rev REV`` mutates the tree as it was at git revision REV (sources and
tests), e.g. the commit before the new tests, for the "before" score; without
it, the working tree is used. Run it with the project's venv python.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: module -> (file, tests run against its mutants). The fastest tests come first, so
#: ``-x`` stops early; slow CLI tests that do not exercise the module are left out.
TARGETS: dict[str, tuple[str, list[str]]] = {
    "engine": ("console/sync/engine.py", ["tests/sync"]),
    "importer": ("console/core/importer.py", [
        "tests/core/test_import_conflicts.py", "tests/core/test_import_checks.py",
        "tests/core/test_export.py", "tests/test_cli_export.py",
        "-k", "not report_prints and not pdf_headless",
    ]),
    "export": ("console/core/export.py", [
        "tests/core/test_export_text.py", "tests/core/test_export_csv.py",
        "tests/core/test_export.py",
        "tests/test_cli_export.py", "-k", "not report_prints",
    ]),
}

PYTEST = ["-m", "pytest", "-p", "no:cacheprovider", "-x", "-q", "--no-header", "-o",
          "addopts="]

CMP_FLIP: dict[type, type] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt,
    ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
BINOP_FLIP: dict[type, type] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.BitOr: ast.BitAnd, ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv,
}
SIMPLE_STATEMENTS = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Raise, ast.Break,
                     ast.Continue, ast.Delete)
MAX_STRING = 40


@dataclass
class Mutant:
    id: str
    line: int
    operator: str
    description: str
    outcome: str = ""  # killed | survived | timeout | error
    seconds: float = 0.0


def _docstring_nodes(tree: ast.AST) -> set[int]:
    """ids of the Constant nodes that are docstrings (never mutated)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
                found.add(id(body[0]))
    return found


def _skipped_nodes(tree: ast.AST) -> set[int]:
    """Nodes under log calls, type annotations and f-strings: not behaviour worth a mutant."""
    skipped: set[int] = set()

    def skip_all(node: ast.AST | None) -> None:
        if node is not None:
            skipped.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "log":
            skip_all(node)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Attribute) \
                and isinstance(node.value.func.value, ast.Name) \
                and node.value.func.value.id == "log":
            skipped.add(id(node))  # deleting a log line is not a behaviour change
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            skip_all(node.returns)
            for arg in node.args.args + node.args.kwonlyargs + node.args.posonlyargs:
                skip_all(arg.annotation)
        elif isinstance(node, ast.AnnAssign):
            skip_all(node.annotation)
        elif isinstance(node, ast.JoinedStr):
            skip_all(node)
    skipped |= _docstring_nodes(tree)
    return skipped


def _sites(tree: ast.AST) -> Iterator[tuple[ast.AST, str, str, int]]:
    """(node, operator, description, variant) for every mutation the tree allows."""
    skipped = _skipped_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in CMP_FLIP:
                    yield node, "cmp", f"{type(op).__name__} -> {CMP_FLIP[type(op)].__name__}", i
        elif isinstance(node, ast.BoolOp):
            other = "Or" if isinstance(node.op, ast.And) else "And"
            yield node, "bool", f"{type(node.op).__name__} -> {other}", 0
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "bool", "not x -> x", 0
        elif isinstance(node, ast.BinOp) and type(node.op) in BINOP_FLIP:
            flipped = BINOP_FLIP[type(node.op)].__name__
            yield node, "binop", f"{type(node.op).__name__} -> {flipped}", 0
        elif isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool):
                yield node, "const", f"{v} -> {not v}", 0
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                yield node, "const", f"{v} -> {v + 1}", 0
            elif isinstance(v, str) and len(v) <= MAX_STRING:
                yield node, "const", f"{v!r} -> 'XX' + s", 0
        if isinstance(node, (ast.If, ast.While, ast.IfExp)):
            yield node, "bool", "condition -> not condition", 1
        if isinstance(node, ast.Return) and node.value is not None \
                and not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield node, "return", "return x -> return None", 0
        if isinstance(node, SIMPLE_STATEMENTS):
            yield node, "del", f"{type(node).__name__} -> pass", 2


def _apply(node: ast.AST, operator: str, variant: int) -> ast.AST | None:
    """Change ``node`` in place; returns a replacement statement for ``del``."""
    if operator == "cmp":
        assert isinstance(node, ast.Compare)
        node.ops[variant] = CMP_FLIP[type(node.ops[variant])]()
    elif operator == "bool" and variant == 1:
        assert isinstance(node, (ast.If, ast.While, ast.IfExp))
        node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
    elif operator == "bool" and isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif operator == "bool":
        return "unwrap"  # type: ignore[return-value]  # handled by the transformer
    elif operator == "binop":
        assert isinstance(node, ast.BinOp)
        node.op = BINOP_FLIP[type(node.op)]()
    elif operator == "const":
        assert isinstance(node, ast.Constant)
        v = node.value
        node.value = (not v) if isinstance(v, bool) else (v + 1 if isinstance(v, (int, float))
                                                         else "XX" + v)
    elif operator == "return":
        assert isinstance(node, ast.Return)
        node.value = ast.Constant(value=None)
    elif operator == "del":
        return ast.Pass()
    return None


class _Replace(ast.NodeTransformer):
    def __init__(self, target: ast.AST, replacement: ast.AST) -> None:
        self.target, self.replacement = target, replacement

    def visit(self, node: ast.AST) -> ast.AST:
        if node is self.target:
            return self.replacement
        return super().visit(node)


def mutants(source: str, module: str) -> Iterator[tuple[Mutant, str]]:
    """Every mutant of ``source`` as (description, mutated source)."""
    tree = ast.parse(source)
    count = sum(1 for _ in _sites(tree))
    seen: dict[str, int] = {}
    for index in range(count):
        work = copy.deepcopy(tree)
        node, operator, description, variant = list(_sites(work))[index]
        line = getattr(node, "lineno", 0)
        replacement = _apply(node, operator, variant)
        if replacement == "unwrap":
            assert isinstance(node, ast.UnaryOp)
            work = _Replace(node, node.operand).visit(work)
        elif replacement is not None:
            work = _Replace(node, replacement).visit(work)
        ast.fix_missing_locations(work)
        key = f"{module}:{line}:{getattr(node, 'col_offset', 0)}:{operator}"
        seen[key] = seen.get(key, 0) + 1
        yield (Mutant(id=f"{key}:{seen[key]}", line=line, operator=operator,
                      description=description), ast.unparse(work))


def make_tree(rev: str | None) -> Path:
    """A throwaway copy of the project (at ``rev``, or the working tree) to mutate."""
    root = Path(tempfile.mkdtemp(prefix="mutation-"))
    if rev:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    else:
        files = subprocess.run(["git", "-C", str(REPO), "ls-files", "-co", "--exclude-standard"],
                               check=True, capture_output=True, text=True).stdout.split()
        for name in files:
            src = REPO / name
            if src.is_file():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, root / name)
    return root


def run_tests(root: Path, tests: list[str], timeout: float) -> tuple[str, float]:
    args = [a for a in tests if a.startswith("-") or a.startswith("not ") or (root / a).exists()
            or "::" in a]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1",
               PYTHONHASHSEED="0")
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, *PYTEST, *args], cwd=root, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - started
    seconds = time.monotonic() - started
    if done.returncode == 0:
        return "survived", seconds
    if done.returncode == 1:
        return "killed", seconds
    # 2-4: collection or usage error (a mutant that breaks import still counts as found)
    return "killed" if done.returncode == 2 else "error", seconds


def check_copy_is_used(root: Path) -> None:
    probe = subprocess.run([sys.executable, "-c", "import console; print(console.__file__)"],
                           cwd=root, capture_output=True, text=True, check=True).stdout.strip()
    if not probe.startswith(str(root)):
        raise SystemExit(f"the tests would import {probe}, not the copy under {root}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default="all", choices=[*TARGETS, "all"])
    parser.add_argument("--rev", help="git revision to mutate (default: the working tree)")
    parser.add_argument("--json", type=Path, help="write every mutant's outcome here")
    parser.add_argument("--only", nargs="*", help="run only these mutant ids")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--sample", type=int, default=0,
                        help="run only this many mutants per module, drawn with --seed (0: all)")
    parser.add_argument("--seed", type=int, default=10)
    opts = parser.parse_args()
    # A stopped run (kill, Ctrl-C in the background) still removes its throwaway tree.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    modules = list(TARGETS) if opts.module == "all" else [opts.module]
    root = make_tree(opts.rev)
    report: dict[str, object] = {"rev": opts.rev or "working tree", "modules": {}}
    try:
        check_copy_is_used(root)
        for module in modules:
            path, tests = TARGETS[module]
            target = root / path
            original = target.read_text(encoding="utf-8")
            # The baseline runs the unparsed (comment-free) original, so a failure is the mutant's.
            target.write_text(ast.unparse(ast.parse(original)), encoding="utf-8")
            outcome, base = run_tests(root, tests, timeout=600)
            if outcome != "survived":
                raise SystemExit(f"{module}: the tests fail without any mutant ({outcome})")
            timeout = base * 3 + 10
            results: list[Mutant] = []
            all_mutants = list(mutants(original, module))
            print(f"{module}: {len(all_mutants)} mutants, baseline {base:.1f} s", flush=True)
            if opts.sample and opts.sample < len(all_mutants) and not opts.only:
                # A fixed seed: the same source gives the same sample on every run.
                picked = set(random.Random(opts.seed).sample(range(len(all_mutants)), opts.sample))
                all_mutants = [m for i, m in enumerate(all_mutants) if i in picked]
                print(f"{module}: sampled {len(all_mutants)} (seed {opts.seed})", flush=True)
            for number, (mutant, source) in enumerate(all_mutants, 1):
                if opts.only and mutant.id not in opts.only:
                    continue
                if number % 25 == 0:
                    print(f"  ... {number}/{len(all_mutants)}", flush=True)
                if opts.list:
                    print(f"  {mutant.id}  {mutant.description}")
                    continue
                target.write_text(source, encoding="utf-8")
                mutant.outcome, mutant.seconds = run_tests(root, tests, timeout)
                results.append(mutant)
                if mutant.outcome in ("survived", "error"):
                    print(f"  {mutant.outcome.upper()} {mutant.id}  {mutant.description}",
                          flush=True)
            target.write_text(original, encoding="utf-8")
            killed = sum(1 for m in results if m.outcome in ("killed", "timeout"))
            total = len(results)
            score = killed / total if total else 0.0
            if total:
                print(f"{module}: {killed}/{total} killed, score {score:.1%}", flush=True)
            report["modules"][module] = {  # type: ignore[index]
                "file": path, "sample": opts.sample, "seed": opts.seed, "tests": tests,
                "killed": killed, "total": total,
                "score": round(score, 4), "mutants": [asdict(m) for m in results],
            }
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if opts.json:
        opts.json.parent.mkdir(parents=True, exist_ok=True)
        opts.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
