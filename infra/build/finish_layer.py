"""Finishes a layer's ``python/`` directory as Lambda will read it: prunes what no function imports, then
compiles every module to bytecode for the interpreter running this script (CPython 3.13, the runtime's).

Run by the Makefile's ``build-DomainLayer`` and ``build-DependenciesLayer`` (``sam build``) as
``python3.13 infra/build/finish_layer.py DIR``.

Why compile at build time: Lambda extracts a layer under ``/opt``, which is read-only, so an interpreter
that finds no usable bytecode compiles the module in memory at every cold start and cannot keep the
result. Why ``unchecked-hash``: ``sam deploy`` zips every file with the zip format's default date,
1980-01-01 (samcli/lib/package/utils.py, ``make_zip_with_permissions``), so the sources in ``/opt`` never
have the modification time a timestamp-checked ``.pyc`` records and every such ``.pyc`` would be thrown
away as stale; a checked-hash ``.pyc`` would read and hash its source at every import. The artifact is
immutable once built, so the source cannot change under its bytecode: nothing needs checking.
"""

from __future__ import annotations

import argparse
import compileall
import py_compile
import shutil
import sys
from pathlib import Path

# Chalice's package is its command-line tool and deployer (click, pip, inquirer, pyyaml ...) around one
# module that the agent API imports: ``chalice/app.py``, which needs nothing outside the standard library
# (its own header says it is meant to be copied into a deployment package alone).
KEEP_ONLY = {"chalice": {"__init__.py", "app.py", "py.typed"}}
# Directories inside a package that no function imports: test suites and benchmarks shipped in wheels.
NEVER_IMPORTED = {"tests", "benchmarks"}


def unwanted(root: Path) -> set[Path]:
    """What no function imports, and bytecode that is not this build's."""
    found: set[Path] = set(root.rglob("__pycache__")) | set(root.rglob("*.py[co]"))
    # console scripts, wheels' data scripts, type stubs
    found |= {top for top in root.iterdir() if top.name == "bin" or top.name.endswith((".data", "-stubs"))}
    for package, keep in KEEP_ONLY.items():
        if (root / package).is_dir():
            found |= {p for p in (root / package).iterdir() if p.name not in keep}
    found |= {d for d in root.glob("*/**/") if d.name in NEVER_IMPORTED and (d / "__init__.py").exists()}
    return found


def prune(root: Path) -> list[str]:
    """Removes what no function imports; returns what it removed, relative to root."""
    done = []
    for path in sorted(unwanted(root), key=lambda p: len(p.parts)):
        if not path.exists() and not path.is_symlink():
            continue  # inside a directory removed before it
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        done.append(path.relative_to(root).as_posix())
    return done


def compile_tree(root: Path, ddir: str) -> bool:
    """Bytecode for every module under root, recorded under ``ddir`` (where Lambda mounts it)."""
    return compileall.compile_dir(
        root,
        ddir=ddir,
        quiet=1,
        workers=0,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Prune and compile a layer's python/ directory.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--ddir", default="/opt/python", help="the directory tracebacks name")
    parser.add_argument("--python-version", default="3.13", help="the runtime's Python, major.minor")
    args = parser.parse_args(argv)
    running = "{}.{}".format(*sys.version_info[:2])
    if sys.implementation.name != "cpython" or running != args.python_version:
        print(f"finish_layer: needs CPython {args.python_version}, runs on {running}", file=sys.stderr)
        return 2
    root = args.directory.resolve()
    removed = prune(root)
    print(f"finish_layer: {root.parent.name}: pruned {len(removed)} paths: {', '.join(removed[:12])}")
    if not compile_tree(root, args.ddir):
        print("finish_layer: a module did not compile", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
