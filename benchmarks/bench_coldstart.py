"""Cold start: how long each Lambda function's module takes to import, against ``import boto3`` alone, and
how large the two deployable layers are.

Run with ``python benchmarks/bench_coldstart.py [--rounds N] [--installed] [--strict]`` (``--strict``: exit
1 when a figure misses its budget; ``make bench`` runs it without, so the summary still prints).

1. Import time. Every function the template declares (its ``Handler`` module under its ``CodeUri``, the
   agent API's ``app``) and ``boto3`` alone are imported in fresh interpreters, the targets shuffled in
   every round so that a noisy neighbour slows them alike; each time is the median over the rounds (the
   ratio: see below). The interpreter starts as Lambda's does
   as far as imports go: no ``site`` processing of the development install (``-S``), the function's
   directory first, the domain layer's directory (``/opt/python`` in Lambda) next, then the third-party
   packages; the environment is the template's Globals and each function's own variables (every name
   read from ``template.yaml``, a parameter's default or a dummy resource name as its value) plus the
   variables Lambda itself sets.
   Only the ``import`` statement is timed, not the interpreter's own start, and as the CPU time of the
   process (``time.process_time``): an import is CPU-bound, and on a machine whose cores are shared the
   wall time also counts the moments another process had the core (the wall-clock median is kept in the
   results as ``wall_median_s``). Each target is imported right after an ``import boto3`` of its own, and
   its ratio is the median over the rounds of target / that boto3: a pair shares the moment's state of
   the core (its frequency, its caches, a neighbour), which moved separate medians of the two by a tenth
   between runs (the ratio of the medians is kept as ``ratio_of_medians``); pairs still scatter, so a
   figure within a few hundredths of its budget can fall either side of it from one run to the next.
   The project's modules are compiled to bytecode first, as pip compiles the third-party ones (a
   deployment should ship the kanal layer's bytecode for the same reason: Lambda's code directories are
   read-only, so it cannot cache its own). Budgets (docs/architecture.md): a webhook function at most 1.3x,
   every other function at most 1.6x.
2. Layer sizes. The domain layer is the files under ``layers/kanal`` (what ``sam build`` copies; its
   requirements file installs nothing). The dependencies layer is what ``sam build`` packages for the
   template's runtime and architecture: ``pip install --target`` of ``layers/deps/requirements.txt`` for
   CPython 3.13 on manylinux aarch64 into a temporary directory (``--installed``, or no index reachable:
   the files the installed distributions of those requirements and their dependencies record, in this
   environment). Both unzipped and zipped (deflate); the budget is Lambda's quota of 250 MB unzipped for a
   function and all its layers together.

Prints a table and writes ``benchmarks/results/coldstart.json``. Takes about 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import compileall
import io
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "infra" / "local"))

from kanal_local.template import load_template  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "coldstart.json"
WEBHOOK_BUDGET, OTHER_BUDGET = 1.3, 1.6
# Lambda quotas: "Deployment package (.zip file archive) size ... 250 MB (unzipped)", the function and all
# its layers together; https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
UNZIPPED_QUOTA_MB = 250.0
RUNTIME_PLATFORM = ("manylinux2014_aarch64", "3.13")  # Globals: python3.13 on arm64

CHILD = """
import sys, time
sys.path[:0] = {paths!r}
wall, cpu = time.perf_counter(), time.process_time()
import {module}
print(time.perf_counter() - wall, time.process_time() - cpu)
"""


def _value(node: Any, parameters: dict[str, Any]) -> str:
    """A stand-in for one environment value of the template: a parameter's default, else a dummy."""
    if isinstance(node, dict) and "Ref" in node:
        name = node["Ref"]
        default = parameters.get(name, {}).get("Default")
        return str(default) if default is not None else f"bench-{name}"
    if isinstance(node, dict):
        return "bench-value"
    return str(node)


def template_environment() -> dict[str, str]:
    """The Globals' variables and every function's own (e.g. the agent API's user pool id)."""
    template = load_template()
    variables = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            variables.update((resource["Properties"].get("Environment") or {}).get("Variables") or {})
    return {name: _value(node, template.get("Parameters", {})) for name, node in variables.items()}


def targets() -> dict[str, tuple[str, Path]]:
    """name -> (module, code directory) for every function in the template, ``boto3`` first."""
    found: dict[str, tuple[str, Path]] = {"boto3": ("boto3", ROOT)}
    for resource in load_template()["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        module = props["Handler"].rsplit(".", 1)[0]
        found[module] = (module, (ROOT / props["CodeUri"]).resolve())
    return found


def is_webhook(name: str) -> bool:
    return name.startswith("webhook_")


def child_environment(name: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("KANAL_", "POWERTOOLS_", "AWS_"))}
    lambda_sets = {
        "AWS_REGION": "eu-central-1",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_LAMBDA_FUNCTION_NAME": f"kanal-{name}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
    }
    return {**keep, **template_environment(), **lambda_sets}


def import_seconds(name: str, module: str, code_dir: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one ``import`` in a fresh interpreter."""
    paths = [str(code_dir), str(ROOT / "layers" / "kanal"), sysconfig.get_paths()["purelib"]]
    done = subprocess.run(
        [sys.executable, "-S", "-c", CHILD.format(paths=paths, module=module)],
        cwd=code_dir,
        env=child_environment(name),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{done.stderr[-2000:]}")
    wall, cpu = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def compile_sources() -> None:
    """Bytecode for the project's own modules, current with their sources, as pip leaves it for the
    third-party packages (and boto3's). Without it a fresh interpreter compiles every changed module from
    source (0.08 s for ingest here, where $PYTHONDONTWRITEBYTECODE kept the caches stale): the figure
    would be of the compiler, not of the imports."""
    for directory in (ROOT / "layers" / "kanal", ROOT / "functions"):
        compileall.compile_dir(directory, quiet=1)
    compileall.compile_file(ROOT / "app.py", quiet=1)


def measure_imports(rounds: int, seed: int = 7) -> dict[str, dict[str, Any]]:
    compile_sources()
    found = targets()
    for name, (module, code_dir) in found.items():  # warm the file cache: every round reads the same files
        import_seconds(name, module, code_dir)
    cpu: dict[str, list[float]] = {name: [] for name in found}
    wall: dict[str, list[float]] = {name: [] for name in found}
    pairs: dict[str, list[float]] = {name: [] for name in found if name != "boto3"}
    order = list(pairs)
    shuffle = random.Random(seed)

    def measure(name: str) -> float:
        module, code_dir = found[name]
        took, used = import_seconds(name, module, code_dir)
        wall[name].append(took)
        cpu[name].append(used)
        return used

    for _ in range(rounds):
        shuffle.shuffle(order)
        for name in order:  # each target right after its own boto3 import: a pair on the same moment's core
            reference = measure("boto3")
            pairs[name].append(measure(name) / reference)
    base = statistics.median(cpu["boto3"])
    figures = {}
    for name, values in cpu.items():
        median = statistics.median(values)
        figures[name] = {
            "median_s": round(median, 4),
            "min_s": round(min(values), 4),
            "max_s": round(max(values), 4),
            "wall_median_s": round(statistics.median(wall[name]), 4),
            "ratio": 1.0 if name == "boto3" else round(statistics.median(pairs[name]), 3),
            "ratio_of_medians": round(median / base, 3),
            "budget": None if name == "boto3" else WEBHOOK_BUDGET if is_webhook(name) else OTHER_BUDGET,
        }
    return figures


def tree_size(root: Path, skip: tuple[str, ...] = ("__pycache__",)) -> tuple[int, int, int]:
    """(files, bytes unzipped, bytes zipped) of every file under root."""
    files = [p for p in sorted(root.rglob("*")) if p.is_file() and not set(p.parts) & set(skip)]
    return len(files), sum(p.stat().st_size for p in files), _zipped(files, root)


def _zipped(files: list[Path], root: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(root).as_posix())
    return buffer.tell()


def _requirements(path: Path) -> list[str]:
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0])
    return names


def _closure(names: list[str]) -> set[str]:
    """The installed distributions these requirements need (with their extras), here."""
    seen: set[str] = set()
    pending = list(names)
    requirements = ROOT / "layers" / "deps" / "requirements.txt"
    extras = dict(re.findall(r"^([\w.-]+)\[([^\]]+)\]", requirements.read_text(), re.MULTILINE))
    while pending:
        name = pending.pop().lower().replace("_", "-")
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        wanted = {e.strip() for e in extras.get(dist.metadata["Name"], "").split(",") if e.strip()}
        for requirement in dist.requires or []:
            spec, _, marker = requirement.partition(";")
            if "extra ==" in marker and not any(f"'{e}'" in marker or f'"{e}"' in marker for e in wanted):
                continue
            if "python_version" in marker and '< "3.1' in marker:
                continue
            pending.append(re.split(r"[\[<>=!~ (]", spec.strip(), maxsplit=1)[0])
    return seen


def installed_size(names: list[str]) -> tuple[int, int, int, dict[str, int]]:
    files: list[Path] = []
    per: dict[str, int] = {}
    for name in sorted(_closure(names)):
        dist = metadata.distribution(name)
        paths = [Path(str(dist.locate_file(f))) for f in dist.files or []]
        paths = [p for p in paths if p.is_file() and "bin" not in p.relative_to(p.anchor).parts[:4]]
        per[name] = sum(p.stat().st_size for p in paths)
        files.extend(paths)
    purelib = Path(sysconfig.get_paths()["purelib"])
    inside = [p for p in files if purelib in p.parents]
    return len(files), sum(per.values()), _zipped(inside, purelib), per


def pip_size(requirements: Path) -> tuple[int, int, int, dict[str, int]] | None:
    plat, version = RUNTIME_PLATFORM
    with tempfile.TemporaryDirectory() as target:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--target", target, "-r", str(requirements), "--platform", plat, "--implementation", "cp",
             "--python-version", version, "--only-binary=:all:"],
            capture_output=True, text=True, check=False, timeout=240,
        )  # fmt: skip
        if done.returncode != 0:
            return None
        count, unzipped, zipped = tree_size(Path(target), skip=())
        per: dict[str, int] = {}
        for info in Path(target).glob("*.dist-info"):
            record = info / "RECORD"
            name = info.name.rsplit("-", 1)[0].rsplit("-", 1)[0].lower().replace("_", "-")
            if record.is_file():
                per[name] = sum(
                    (Path(target) / row.split(",")[0]).stat().st_size
                    for row in record.read_text(encoding="utf-8").splitlines()
                    if row and (Path(target) / row.split(",")[0]).is_file()
                )
        return count, unzipped, zipped, per


def measure_layers(installed: bool) -> dict[str, Any]:
    requirements = ROOT / "layers" / "deps" / "requirements.txt"
    files, unzipped, zipped = tree_size(ROOT / "layers" / "kanal")
    deps = None if installed else pip_size(requirements)
    how = f"pip install --target for CPython {RUNTIME_PLATFORM[1]} on {RUNTIME_PLATFORM[0]}"
    if deps is None:
        deps = installed_size(_requirements(requirements))
        how = "the installed distributions' recorded files, here (" + platform.machine() + ")"
    count, deps_unzipped, deps_zipped, per = deps
    largest = dict(sorted(per.items(), key=lambda kv: -kv[1])[:8])
    return {
        "kanal": {"files": files, "unzipped_mb": _mb(unzipped), "zipped_mb": _mb(zipped)},
        "deps": {
            "files": count,
            "unzipped_mb": _mb(deps_unzipped),
            "zipped_mb": _mb(deps_zipped),
            "measured_as": how,
            "largest_mb": {k: _mb(v) for k, v in largest.items()},
        },
        "together_unzipped_mb": _mb(unzipped + deps_unzipped),
    }


def _mb(size: int) -> float:
    return round(size / 1_000_000, 2)


def figures_of(imports: dict[str, dict[str, Any]], layers: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "name": "import boto3 (the reference)",
            "value": imports["boto3"]["median_s"],
            "unit": "s",
            "budget": None,
            "compare": None,
            "ok": None,
            "note": "CPU time, median of fresh interpreters on this machine",
        }
    ]
    for name, figure in imports.items():
        if name == "boto3":
            continue
        ok = figure["ratio"] <= figure["budget"]
        out.append(
            {
                "name": f"import {name} / import boto3",
                "value": figure["ratio"],
                "unit": "x",
                "budget": figure["budget"],
                "compare": "<=",
                "ok": ok,
                "note": f"CPU median {figure['median_s']} s (wall {figure['wall_median_s']} s)"
                + ("" if ok else "; over budget: see docs/decisions.md (cold starts)"),
            }
        )
    together = layers["together_unzipped_mb"]
    out.append(
        {
            "name": "layers unzipped (kanal + dependencies)",
            "value": together,
            "unit": "MB",
            "budget": UNZIPPED_QUOTA_MB,
            "compare": "<=",
            "ok": together <= UNZIPPED_QUOTA_MB,
            "note": f"kanal {layers['kanal']['unzipped_mb']} MB, dependencies "
            f"{layers['deps']['unzipped_mb']} MB ({layers['deps']['measured_as']}); Lambda's quota is for a "
            "function and all its layers",
        }
    )
    for layer in ("kanal", "deps"):
        out.append(
            {
                "name": f"{layer} layer zipped",
                "value": layers[layer]["zipped_mb"],
                "unit": "MB",
                "budget": None,
                "compare": None,
                "ok": None,
                "note": "deflate; what is uploaded",
            }
        )
    return out


def print_table(imports: dict[str, dict[str, Any]], layers: dict[str, Any], seconds: float) -> None:
    print(f"{'import (CPU)':<24}{'median s':>10}{'min s':>9}{'wall s':>8}{'ratio':>8}{'budget':>8}  ok")
    for name, figure in imports.items():
        budget = figure["budget"]
        mark = "" if budget is None else ("yes" if figure["ratio"] <= budget else "NO")
        shown = "" if budget is None else f"{budget:.1f}x"
        print(
            f"{name:<24}{figure['median_s']:>10.3f}{figure['min_s']:>9.3f}{figure['wall_median_s']:>8.3f}"
            f"{figure['ratio']:>7.2f}x"
            f"{shown:>8}  {mark}"
        )
    deps = layers["deps"]
    print(
        f"layers: kanal {layers['kanal']['unzipped_mb']} MB ({layers['kanal']['zipped_mb']} MB zipped), "
        f"dependencies {deps['unzipped_mb']} MB ({deps['zipped_mb']} MB zipped; {deps['measured_as']})"
    )
    print("largest dependencies (MB): " + ", ".join(f"{k} {v}" for k, v in deps["largest_mb"].items()))
    print(f"took {seconds:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--installed", action="store_true", help="measure the installed distributions")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure misses its budget")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    imports = measure_imports(args.rounds)
    layers = measure_layers(args.installed)
    seconds = time.perf_counter() - started
    print_table(imports, layers, seconds)
    figures = figures_of(imports, layers)
    results = {
        "figures": figures,
        "imports": imports,
        "layers": layers,
        "rounds": args.rounds,
        "took_s": round(seconds, 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"-> {RESULTS}")
    missed = [f["name"] for f in figures if f["ok"] is False]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
