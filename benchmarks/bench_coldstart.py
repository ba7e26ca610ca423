"""Cold start: how long each Lambda function's module takes to import from the built artifact, against the
Lambda runtime's own ``import boto3``, and how large the two deployable layers are.

Run with ``python benchmarks/bench_coldstart.py [--rounds N] [--strict] [--no-build]`` (``--strict``: exit
1 when a figure misses its budget; ``make bench`` runs it without, so the summary still prints).

1. What is measured is what Lambda runs (docs/benchmarks.md, "Cold start"): ``sam build``'s artifact.
   ``make build`` builds template.yaml as deployed (arm64) into ``.aws-sam/build``; ``make bench-artifact``
   builds the same template with only its architecture switched to this machine's into
   ``.aws-sam/build-ARCH`` (the layers' compiled wheels must load here). Every file of that artifact gets
   the date ``sam deploy``'s zip gives it, 1980-01-01, as Lambda extracts it.
2. Import time. Every function the template declares (its ``Handler`` module, the agent API's ``app``) and
   ``boto3`` alone are imported in fresh CPython 3.13 interpreters (the runtime's Python), the targets
   shuffled in every round so that a noisy neighbour slows them alike. The path is Lambda's: the function's
   own directory of the artifact first (``/var/task``), the layers' ``python/`` directories next
   (``/opt/python``), then the runtime's boto3 (``/var/lang/lib/python3.13/site-packages``):
   ``.aws-sam/bench-runtime``, boto3 of the release that matches the layer's botocore, installed by pip with
   its bytecode as the runtime has it. No ``site`` processing (``-S``) and ``PYTHONDONTWRITEBYTECODE=1``: as
   in Lambda's read-only ``/opt`` and ``/var/task``, an interpreter that finds no usable bytecode compiles the
   module again every time (the artifact is checked unchanged after the run). ``boto3``, the reference, has
   the runtime's directory alone on its path. The environment is the template's Globals and each function's
   own variables (every name read from ``template.yaml``, a parameter's default or a dummy resource name as
   its value) plus the variables Lambda itself sets. Only the ``import`` statement is timed, as the CPU time
   of the process (``time.process_time``): an import is CPU-bound, and on a machine whose cores are shared the
   wall time also counts the moments another process had the core (the wall-clock median is kept as
   ``wall_median_s``). Each target is imported right after an ``import boto3`` of its own, and its ratio is
   the median over the rounds of target / that boto3: a pair shares the moment's state of the core (the ratio
   of the medians is kept as ``ratio_of_medians``); pairs still scatter, so a figure within a few hundredths
   of its budget can fall either side of it from run to run. Budgets (docs/architecture.md): a webhook
   function at most 1.3x, every other function at most 1.6x.
3. Layer sizes: the deployed (arm64) artifact's ``DomainLayer`` and ``DependenciesLayer``, unzipped and
   zipped with deflate as ``sam deploy`` zips them; the budget is Lambda's quota of 250 MB unzipped for a
   function and all its layers together.

Prints a table and writes ``benchmarks/results/coldstart.json``. Takes about 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "infra" / "local"))
sys.path.insert(0, str(ROOT / "infra" / "build"))

from check_artifact import sizes  # noqa: E402, I001
from kanal_local.template import load_template  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "coldstart.json"
WEBHOOK_BUDGET, OTHER_BUDGET = 1.3, 1.6
# Lambda quotas: "Deployment package (.zip file archive) size ... 250 MB (unzipped)", the function and all
# its layers together; https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
UNZIPPED_QUOTA_MB = 250.0
LAYERS = {"kanal": "DomainLayer", "deps": "DependenciesLayer"}  # template order: /opt/python holds both
HOST_ARCH = {"aarch64": "arm64"}.get(platform.machine(), platform.machine())
DEPLOYED = ROOT / ".aws-sam" / "build"
MEASURED = ROOT / ".aws-sam" / f"build-{HOST_ARCH}"
RUNTIME = ROOT / ".aws-sam" / "bench-runtime"
LOCK = ROOT / "layers" / "deps" / "requirements.txt"
ZIP_DATE = 315532800  # 1980-01-01T00:00:00Z: the date sam deploy's zip gives every file

# Lambda's bootstrap imports the handler's module some frames deep (importlib.import_module); where on the
# interpreter's frame stack an import starts changes its cost on CPython 3.13 before gh-142183's fix (see
# docs/benchmarks.md): each pair is imported at a depth drawn at random, the same for both, so that the
# medians take in every position against the stack's 16 KB chunks.
DEPTHS = 96  # frames of pad() below: more than one chunk's worth
CHILD = """
import importlib, sys, time
sys.path[:0] = {paths!r}
def pad(depth, a=None, b=None, c=None, d=None, e=None, f=None, g=None):
    if depth:
        return pad(depth - 1)
    wall, cpu = time.perf_counter(), time.process_time()
    importlib.import_module({module!r})
    return time.perf_counter() - wall, time.process_time() - cpu
print(*pad({depth}))
"""


def python313() -> str:
    found = subprocess.run(
        ["sh", str(ROOT / "infra" / "build" / "find-python313")], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        raise SystemExit("bench_coldstart: CPython 3.13 (the runtime's Python) not found")
    return found.stdout.strip()


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


def targets(artifact: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (module, sys.path entries) for every function in the template, ``boto3`` first."""
    runtime = [str(RUNTIME)]
    layers = [str(artifact / layer / "python") for layer in LAYERS.values()]
    found: dict[str, tuple[str, list[str]]] = {"boto3": ("boto3", runtime)}
    for logical_id, resource in load_template()["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        module = resource["Properties"]["Handler"].rsplit(".", 1)[0]
        found[module] = (module, [str(artifact / logical_id), *layers, *runtime])
    return found


def is_webhook(name: str) -> bool:
    return name.startswith("webhook_")


def child_environment(name: str) -> dict[str, str]:
    keep = {
        k: v for k, v in os.environ.items() if not k.startswith(("KANAL_", "POWERTOOLS_", "AWS_", "PYTHON"))
    }
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
        "PYTHONDONTWRITEBYTECODE": "1",  # /opt and /var/task are read-only
    }
    return {**keep, **template_environment(), **lambda_sets}


def import_seconds(
    python: str, name: str, module: str, paths: list[str], depth: int = 0
) -> tuple[float, float]:
    """(wall, CPU) seconds of one ``import`` in a fresh interpreter, ``depth`` frames down its stack."""
    done = subprocess.run(
        [python, "-S", "-c", CHILD.format(paths=paths, module=module, depth=depth)],
        cwd=paths[0],
        env=child_environment(name),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{done.stderr[-2000:]}")
    wall, cpu = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def build() -> None:
    """The deployed artifact and this machine's, as `make build` and `make bench-artifact` make them."""
    subprocess.run(["make", "--no-print-directory", "-s", "build", "bench-artifact"], cwd=ROOT, check=True)


def runtime_boto3(python: str) -> str:
    """boto3 as the runtime has it, outside the layers and compiled: the release of the layer's botocore."""
    botocore = re.search(r"^botocore==([\w.]+)", LOCK.read_text(encoding="utf-8"), re.MULTILINE)
    version = botocore.group(1) if botocore else ""
    marker = RUNTIME / ".boto3"
    if not marker.is_file() or marker.read_text() != version:
        wanted = f"boto3=={version}" if version else "boto3"
        subprocess.run(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--root-user-action=ignore", "--target", str(RUNTIME), wanted],
            check=True,
        )  # fmt: skip
        marker.write_text(version)
    return version


def as_extracted(artifact: Path) -> dict[str, int]:
    """Gives every file the date of sam deploy's zip, as Lambda extracts it; returns path -> size."""
    files = {}
    for path in artifact.rglob("*"):
        if path.is_file():
            os.utime(path, (ZIP_DATE, ZIP_DATE))
            files[str(path)] = path.stat().st_size
    return files


def measure_imports(python: str, artifact: Path, rounds: int, seed: int = 7) -> dict[str, dict[str, Any]]:
    found = targets(artifact)
    for name, (module, paths) in found.items():  # warm the file cache: every round reads the same files
        import_seconds(python, name, module, paths)
    cpu: dict[str, list[float]] = {name: [] for name in found}
    wall: dict[str, list[float]] = {name: [] for name in found}
    pairs: dict[str, list[float]] = {name: [] for name in found if name != "boto3"}
    order = list(pairs)
    shuffle = random.Random(seed)

    def measure(name: str, depth: int) -> float:
        module, paths = found[name]
        took, used = import_seconds(python, name, module, paths, depth)
        wall[name].append(took)
        cpu[name].append(used)
        return used

    for _ in range(rounds):
        shuffle.shuffle(order)
        for name in order:  # each target right after its own boto3 import: a pair on the same moment's core
            depth = shuffle.randrange(DEPTHS)
            reference = measure("boto3", depth)
            pairs[name].append(measure(name, depth) / reference)
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


def _largest(python_dir: Path, count: int = 8) -> dict[str, float]:
    """The largest top-level packages of a layer, MB unzipped."""
    per = {}
    for top in python_dir.iterdir():
        if top.name.endswith(".dist-info") or top.name == "__pycache__":
            continue
        files = [top] if top.is_file() else [p for p in top.rglob("*") if p.is_file()]
        per[top.name] = sum(p.stat().st_size for p in files)
    return {k: _mb(v) for k, v in sorted(per.items(), key=lambda kv: -kv[1])[:count]}


def measure_layers(deployed: Path) -> dict[str, Any]:
    layers: dict[str, Any] = {}
    together = 0
    for key, logical_id in LAYERS.items():
        files, unzipped, zipped = sizes(deployed / logical_id)
        together += unzipped
        layers[key] = {
            "files": files,
            "unzipped_mb": _mb(unzipped),
            "zipped_mb": _mb(zipped),
            "largest_mb": _largest(deployed / logical_id / "python"),
        }
    layers["measured_as"] = f"sam build of template.yaml ({_shown(deployed)})"
    layers["together_unzipped_mb"] = _mb(together)
    return layers


def _shown(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


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
            "note": "CPU time, median of fresh CPython 3.13 interpreters; the runtime's boto3, outside the "
            "layers, compiled",
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
            f"{layers['deps']['unzipped_mb']} MB ({layers['measured_as']}); Lambda's quota is for a function "
            "and all its layers",
        }
    )
    for layer in LAYERS:
        out.append(
            {
                "name": f"{layer} layer zipped",
                "value": layers[layer]["zipped_mb"],
                "unit": "MB",
                "budget": None,
                "compare": None,
                "ok": None,
                "note": f"deflate, what is uploaded; {layers[layer]['unzipped_mb']} MB unzipped",
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
    for layer in LAYERS:
        figures = layers[layer]
        print(
            f"{LAYERS[layer]}: {figures['unzipped_mb']} MB unzipped, {figures['zipped_mb']} MB zipped; "
            "largest (MB): " + ", ".join(f"{k} {v}" for k, v in figures["largest_mb"].items())
        )
    print(f"layers together: {layers['together_unzipped_mb']} MB unzipped of {UNZIPPED_QUOTA_MB:.0f} MB")
    print(f"took {seconds:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure misses its budget")
    parser.add_argument("--no-build", action="store_true", help="measure the artifacts already built")
    parser.add_argument("--artifact", type=Path, default=MEASURED, help="the build for this machine")
    parser.add_argument("--deployed", type=Path, default=DEPLOYED, help="the build whose layers are sized")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    python = python313()
    if not args.no_build:
        build()
    boto3_version = runtime_boto3(python)
    files = as_extracted(args.artifact)
    imports = measure_imports(python, args.artifact, args.rounds)
    changed = {p.as_posix() for p in args.artifact.rglob("*") if p.is_file()} ^ set(files)
    if changed:
        raise SystemExit(f"bench_coldstart: the imports wrote into the artifact: {sorted(changed)[:5]}")
    layers = measure_layers(args.deployed.resolve())
    seconds = time.perf_counter() - started
    print_table(imports, layers, seconds)
    figures = figures_of(imports, layers)
    results = {
        "figures": figures,
        "imports": imports,
        "layers": layers,
        "artifact": _shown(args.artifact),
        "runtime_boto3": boto3_version,
        "rounds": args.rounds,
        "took_s": round(seconds, 1),
        "python": subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                                 capture_output=True, text=True, check=True).stdout.strip(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }  # fmt: skip
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"-> {args.results}")
    missed = [f["name"] for f in figures if f["ok"] is False]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
