"""Checks what ``sam build`` made of the two layers, and prints their sizes.

Run after ``sam build`` (``make build`` does) with the runtime's Python:
``python3.13 infra/build/check_artifact.py [.aws-sam/build]``. Fails (exit 1) when

- a module in a layer has no bytecode for this interpreter (``__pycache__/NAME.cpython-313.pyc``), or its
  bytecode is not the unchecked-hash kind (infra/build/finish_layer.py says why), or bytecode of another
  interpreter is left beside it;
- the dependencies layer holds a distribution that is not in its lock (layers/deps/requirements.txt), or
  any of chalice's command-line dependencies, or chalice beyond ``chalice.app``;
- the layers together pass Lambda's quota of 250 MB unzipped for a function and all its layers.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "layers" / "deps" / "requirements.txt"
LAYERS = ("DomainLayer", "DependenciesLayer")
# What chalice declares for its command-line tool and deployer, with what those pull in.
CLI_ONLY = {
    "click", "inquirer", "pip", "pyyaml", "setuptools", "wheel",
    "blessed", "editor", "readchar", "runs", "xmod", "wcwidth", "jinxed",
}  # fmt: skip
CLI_MODULES = {"click", "inquirer", "pip", "yaml", "_yaml", "setuptools", "_distutils_hack", "wheel",
               "blessed", "editor", "readchar", "runs", "xmod", "wcwidth", "jinxed"}  # fmt: skip
CHALICE_KEEPS = {"__init__.py", "app.py", "py.typed", "__pycache__"}
UNZIPPED_QUOTA_MB = 250.0
FLAG_HASH_BASED, FLAG_CHECK_SOURCE = 0b01, 0b10


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> set[str]:
    return {normalise(m.group(1)) for m in re.finditer(r"^([A-Za-z0-9][\w.-]*)==", LOCK.read_text(), re.M)}


def bytecode_problems(python: Path) -> list[str]:
    """Every module without current unchecked-hash bytecode for this interpreter, and stray bytecode."""
    tag = sys.implementation.cache_tag
    magic = importlib.util.MAGIC_NUMBER
    problems = []
    for source in sorted(python.rglob("*.py")):
        pyc = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        where = source.relative_to(python)
        if not pyc.is_file():
            problems.append(f"{where}: no {tag} bytecode")
            continue
        header = pyc.read_bytes()[:16]
        flags = int.from_bytes(header[4:8], "little")
        if header[:4] != magic:
            problems.append(f"{where}: bytecode of another interpreter")
        elif flags & FLAG_HASH_BASED == 0 or flags & FLAG_CHECK_SOURCE:
            problems.append(f"{where}: bytecode is not unchecked-hash (flags {flags:#x})")
    for pyc in sorted(python.rglob("*.pyc")):
        if f".{tag}." not in pyc.name or pyc.parent.name != "__pycache__":
            problems.append(f"{pyc.relative_to(python)}: bytecode of another interpreter")
    return problems


def dependency_problems(python: Path) -> list[str]:
    problems = []
    present = {normalise(p.name.split("-")[0]): p.name for p in python.glob("*.dist-info")}
    for name in sorted(set(present) - locked()):
        problems.append(f"{present[name]}: not in {LOCK.relative_to(ROOT)}")
    for name in sorted(set(present) & CLI_ONLY):
        problems.append(f"{present[name]}: a command-line dependency of chalice")
    for module in sorted(CLI_MODULES):
        if (python / module).exists() or (python / f"{module}.py").exists():
            problems.append(f"{module}: a command-line dependency of chalice")
    extra = sorted(p.name for p in (python / "chalice").iterdir() if p.name not in CHALICE_KEEPS)
    if extra:
        problems.append(f"chalice: ships more than chalice.app: {', '.join(extra)}")
    return problems


def sizes(layer: Path) -> tuple[int, int, int]:
    """(files, bytes unzipped, bytes zipped with deflate as `sam deploy` zips)."""
    files = [p for p in sorted(layer.rglob("*")) if p.is_file()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(layer).as_posix())
    return len(files), sum(p.stat().st_size for p in files), buffer.tell()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check the layers that sam build made.")
    parser.add_argument("build_dir", nargs="?", type=Path, default=ROOT / ".aws-sam" / "build")
    args = parser.parse_args(argv)
    if sys.version_info[:2] != (3, 13):
        print("check_artifact: run it with the runtime's Python, 3.13", file=sys.stderr)
        return 2
    problems: list[str] = []
    together = 0
    for name in LAYERS:
        python = args.build_dir / name / "python"
        if not python.is_dir():
            problems.append(f"{name}: no python/ directory under {args.build_dir}")
            continue
        problems += [f"{name}: {p}" for p in bytecode_problems(python)]
        if name == "DependenciesLayer":
            problems += [f"{name}: {p}" for p in dependency_problems(python)]
        count, unzipped, zipped = sizes(args.build_dir / name)
        together += unzipped
        print(f"{name}: {count} files, {unzipped / 1e6:.1f} MB unzipped, {zipped / 1e6:.1f} MB zipped")
    print(f"layers together: {together / 1e6:.1f} MB unzipped of Lambda's {UNZIPPED_QUOTA_MB:.0f} MB")
    if together / 1e6 > UNZIPPED_QUOTA_MB:
        problems.append(f"the layers pass Lambda's {UNZIPPED_QUOTA_MB:.0f} MB unzipped")
    for problem in problems[:40]:
        print(f"  {problem}", file=sys.stderr)
    if problems:
        print(f"check_artifact: {len(problems)} problems in {args.build_dir}", file=sys.stderr)
        return 1
    print(f"check_artifact: {args.build_dir} ok (cpython-313 unchecked-hash bytecode, no CLI dependencies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
