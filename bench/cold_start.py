"""Benchmark: the cold `import app` of each handler, as Lambda does it, from build artefacts.

Targets (median of the runs, with the bytecode that `make build` ships): compute_rates
<= 0.6 s, render_site, notify_municipalities and comment_page <= 0.3 s. They are reported,
not asserted: a run over target prints OVER TARGET and still exits 0. The exit code is 2 when the
artefacts are missing or not importable on this machine, 1 when a handler fails to import.

    python bench/cold_start.py [--runs N] [--artefacts DIR] [--function NAME] [--rebuild]

Each run is a fresh python3.13 process (the base interpreter, never .venv's) that
- has sys.path as the Lambda runtime sets it: the function's code directory (/var/task)
  first, then each layer's python/lib/python3.13/site-packages and python/ (/opt/python),
  then the standard library; nothing from .venv or any site-packages, so a dependency
  missing from the package fails here as it would in Lambda;
- runs in the code directory with the environment the template gives the function (its
  Globals and own variables, resolved with dummy resource names), what Lambda adds
  (AWS_LAMBDA_FUNCTION_NAME, AWS_REGION, AWS_DEFAULT_REGION, _HANDLER, ...) and dummy
  credentials (nothing can reach a real AWS or the instance metadata address);
- imports from a read-only copy of the artefacts (chmod -R a-w) with
  PYTHONDONTWRITEBYTECODE=1, so no run leaves bytecode for the next; after the runs the
  copies are checked to hold no more .pyc than before.
`import app` is timed inside the process (time.perf_counter around it); the whole process
(start to exit) is timed by this script. Each function is measured twice in the same run,
interleaved: with the artefacts' .pyc (what is shipped) and from sources only (the copy
without any __pycache__), the alternative the bytecode replaces.

Which artefacts. `sam build` (make build) makes arm64 packages, as the functions run on
arm64: their pandas, numpy and pydantic_core wheels cannot be imported on this x86_64
machine. So by default this script builds an equivalent for the machine it runs on, a
mirror laid out exactly like .aws-sam/build, under bench/.cache/lambda-<machine>/build/:
- <Function>/ = functions/<name>/'s files + its requirements.txt installed by pip;
- <Layer>/python/ = layer/'s files + layer/requirements.txt installed by pip;
- pip installs for this platform with the interpreter that imports them; when
  .aws-sam/build exists its distributions' versions are used as constraints, so the mirror
  has the versions that were built for Lambda (without them if they no longer resolve);
- then every package is byte-compiled by bench/lambda_package.py exactly as `make build`
  compiles the real one (unchecked-hash .pyc, the same lay_out/compile code).
Installed requirements are cached per package under bench/.cache/lambda-<machine>/deps/,
keyed by the requirements, the constraints and the interpreter; the mirror is rebuilt when
that key or any source file (functions/, layer/, template.yaml, the layout code) changes,
or with --rebuild. --artefacts DIR measures another build instead (one importable here, e.g.
a `sam build` made on an arm64 machine and measured there).

The page cache is warm (the files were just copied), as it is in Lambda for a function's
second cold start but not necessarily the first, and the machine's 2 cores are shared:
look at the minimum as much as at the median.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import stat
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from danmarkskort_tools.local.template import load_stack

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root
from bench.lambda_package import (
    SOURCE_IGNORE,
    compile_package,
    has_requirements,
    install_requirements,
    lay_out,
    pinned_versions,
)

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"
SAM_BUILD = ROOT / ".aws-sam" / "build"
TARGETS = {  # seconds, cold `import app` with the shipped bytecode
    "ComputeRatesFunction": 0.6,
    "RenderSiteFunction": 0.3,
    "NotifyMunicipalitiesFunction": 0.3,
    # The page a municipality waits for behind its link: as light as render and notify.
    "CommentPageFunction": 0.3,
}
PARAMETERS = {"SenderAddress": "afsender@example.com"}  # the one parameter without default
REGION = "eu-north-1"
VARIANTS = (("pyc", ".pyc (shipped)"), ("src", "sources only"))

CHILD = r"""
import json, sys, time
code, *layers = sys.argv[1:]
sys.dont_write_bytecode = True
stdlib = [p for p in sys.path[1:] if "site-packages" not in p and "dist-packages" not in p]
sys.path[:] = [code, *layers, *stdlib]
before = set(sys.modules)
t0 = time.perf_counter()
import app
seconds = time.perf_counter() - t0
new = set(sys.modules) - before
roots = (code, *layers)
loaded = sorted({name.partition(".")[0] for name in new
                 if str(getattr(sys.modules[name], "__file__", "") or "").startswith(roots)})
print(json.dumps({"import_s": seconds, "modules": len(new), "packages": loaded,
                  "handler": callable(getattr(app, "handler", None))}))
"""


@dataclass(frozen=True)
class Package:
    """One directory of a sam build: a function's CodeUri or a layer's ContentUri."""

    name: str  # the logical id, which is also its directory in .aws-sam/build
    source: Path
    layer: bool

    def dest(self, build: Path) -> Path:
        return build / self.name / "python" if self.layer else build / self.name

    def import_dirs(self, build: Path) -> list[Path]:
        """What Lambda puts on sys.path for it (a layer: /opt/python/lib/..., /opt/python)."""
        if not self.layer:
            return [build / self.name]
        base = build / self.name / "python"
        return [p for p in (base / "lib/python3.13/site-packages", base) if p.is_dir()]


@dataclass(frozen=True)
class Function:
    package: Package
    layers: tuple[Package, ...]
    environment: dict[str, str]
    memory: int
    physical_name: str


def read_template() -> tuple[list[Function], list[Package]]:
    stack = load_stack(ROOT, PARAMETERS, region=REGION)
    resources = stack.template["Resources"]
    glob = stack.template.get("Globals", {}).get("Function", {})
    layers = {
        lid: Package(lid, (ROOT / str(res["Properties"]["ContentUri"])).resolve(), layer=True)
        for lid, res in resources.items()
        if res.get("Type") == "AWS::Serverless::LayerVersion"
    }
    functions = []
    for lid, spec in sorted(stack.functions().items()):
        refs = resources[lid]["Properties"].get("Layers", glob.get("Layers", []))
        used = tuple(layers[r["Ref"]] for r in refs if isinstance(r, dict) and r.get("Ref"))
        functions.append(
            Function(
                package=Package(lid, spec.code_dir, layer=False),
                layers=used,
                environment=spec.environment,
                memory=spec.memory,
                physical_name=spec.name,
            )
        )
    return functions, list(layers.values())


# ---------------------------------------------------------------------------- the mirror


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


def _source_files(directory: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(directory):
        ignored = SOURCE_IGNORE(dirpath, dirnames + filenames)
        dirnames[:] = sorted(d for d in dirnames if d not in ignored)
        out += [Path(dirpath) / f for f in sorted(filenames) if f not in ignored]
    return out


def _interpreter(python: str) -> str:
    info = subprocess.run(
        [python, "-c", "import sys, platform; print(sys.version, platform.machine())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    if not info.startswith("3.13."):
        raise SystemExit(f"{python} is not Python 3.13 (the functions' runtime): {info}")
    return info


def build_mirror(packages: list[Package], python: str, rebuild: bool) -> Path:
    """The mirror of the sam build for this machine, (re)built when missing or stale."""
    base = CACHE / f"lambda-{platform.machine()}"
    build = base / "build"
    interpreter = _interpreter(python)
    plan = []
    for pkg in packages:
        requirements = pkg.source / "requirements.txt"
        pins = pinned_versions(SAM_BUILD / pkg.name) if (SAM_BUILD / pkg.name).is_dir() else []
        needed = has_requirements(requirements)
        text = requirements.read_text() if needed else ""
        plan.append((pkg, requirements if needed else None, pins,
                     _digest(interpreter, text, *pins)))  # fmt: skip
    sources = [f for pkg in packages for f in _source_files(pkg.source)]
    layout_code = [Path(__file__).with_name("lambda_package.py"), ROOT / "template.yaml"]
    stamp = _digest(
        *(f"{pkg.name}:{key}" for pkg, _, _, key in plan),
        *(str(f.relative_to(ROOT)) for f in sources),
        *(f.read_bytes() for f in sources + layout_code),
        Path(__file__).read_bytes(),
    )
    stamp_file = build / ".stamp"
    if not rebuild and stamp_file.is_file() and stamp_file.read_text() == stamp:
        print(f"artefacts: {build.relative_to(ROOT)} (x86 mirror, up to date)")
        return build
    print(f"artefacts: building {build.relative_to(ROOT)} (mirror of the sam build for "
          f"{platform.machine()})", flush=True)  # fmt: skip
    deps_root = base / "deps"
    deps_root.mkdir(parents=True, exist_ok=True)
    fresh = base / "build.tmp"
    _remove(fresh)
    kept = set()
    for pkg, to_install, pins, key in plan:
        deps = None
        if to_install is not None:
            deps = deps_root / f"{pkg.name}-{key}"
            kept.add(deps.name)
            if not deps.is_dir():
                _install(to_install, deps, python, pins)
        lay_out(pkg.source, pkg.dest(fresh), deps)
    for pkg, *_ in plan:
        compile_package(fresh / pkg.name, python)
    (fresh / ".stamp").write_text(stamp)
    _remove(build)
    fresh.rename(build)
    for old in deps_root.iterdir():  # keep the cache to what the mirror uses
        if old.name.removesuffix(".constraints.txt") not in kept:
            _remove(old)
    return build


def _install(requirements: Path, deps: Path, python: str, pins: list[str]) -> None:
    tmp = deps.with_name(deps.name + ".tmp")
    _remove(tmp)
    constraints = None
    if pins:
        constraints = deps.with_name(deps.name + ".constraints.txt")
        constraints.write_text("\n".join(pins) + "\n")
    where = requirements.relative_to(ROOT)
    print(f"  pip install -r {where} ({'versions of .aws-sam/build' if pins else 'latest'})",
          flush=True)  # fmt: skip
    try:
        install_requirements(requirements, tmp, python, constraints)
    except subprocess.CalledProcessError:
        if constraints is None:
            raise
        print(f"  the versions of .aws-sam/build do not resolve for {where} any more; "
              "installing without them", flush=True)  # fmt: skip
        _remove(tmp)
        install_requirements(requirements, tmp, python)
    tmp.rename(deps)


def _remove(path: Path) -> None:
    """rm -rf, also of a tree made read-only (or a file: a stale constraints file)."""
    if not path.exists():
        return
    if not path.is_dir():
        path.unlink()
        return
    for dirpath, _, _ in os.walk(path):
        os.chmod(dirpath, stat.S_IRWXU)
    shutil.rmtree(path)


# ---------------------------------------------------------------------------- checks


def missing_in(build: Path, functions: list[Function]) -> list[str]:
    need = {p.name for f in functions for p in (f.package, *f.layers)}
    return sorted(n for n in need if not (build / n).is_dir())


def foreign_extensions(build: Path, names: set[str]) -> list[str]:
    """Extension modules built for another machine (e.g. *-aarch64-linux-gnu.so here)."""
    machine = platform.machine()
    out = []
    for name in sorted(names):
        for so in (build / name).rglob("*.cpython-313-*-linux-gnu.so"):
            arch = so.name.split(".cpython-313-", 1)[1].removesuffix("-linux-gnu.so")
            if arch != machine:
                out.append(f"{so.relative_to(build)} ({arch})")
                break
    return out


def count_pyc(path: Path) -> int:
    return sum(1 for _ in path.rglob("*.pyc"))


# ---------------------------------------------------------------------------- the runs


def read_only_copy(build: Path, names: set[str], dest: Path, with_pyc: bool) -> None:
    _remove(dest)
    dest.mkdir(parents=True)
    ignore = None if with_pyc else shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in sorted(names):
        shutil.copytree(build / name, dest / name, symlinks=True, ignore=ignore)
    for dirpath, _, filenames in os.walk(dest, topdown=False):
        for f in filenames:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode & ~0o222)
        os.chmod(dirpath, os.stat(dirpath).st_mode & ~0o222)


def lambda_environment(fn: Function, code: Path, home: Path) -> dict[str, str]:
    env = dict(fn.environment)
    env.update({
        "AWS_LAMBDA_FUNCTION_NAME": fn.physical_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.physical_name}",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "LAMBDA_TASK_ROOT": str(code),
        "_HANDLER": "app.handler",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "PYTHONDONTWRITEBYTECODE": "1",
        # Tracing: Active. A loopback daemon address: nothing may leave this machine.
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        # Lambda gives credentials in the environment; dummy ones here, and no config files
        # or instance metadata to look in.
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    })  # fmt: skip
    return env


@dataclass
class Result:
    imports: list[float]
    processes: list[float]
    modules: int = 0
    packages: tuple[str, ...] = ()
    error: str = ""


def run_once(python: str, fn: Function, root: Path, home: Path) -> tuple[float, float, dict]:
    code = fn.package.dest(root)
    paths = [code, *(d for layer in fn.layers for d in layer.import_dirs(root))]
    t0 = time.perf_counter()
    proc = subprocess.run(
        [python, "-s", "-c", CHILD, *map(str, paths)],
        cwd=code,
        env=lambda_environment(fn, code, home),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError((proc.stderr or proc.stdout).strip()[-3000:])
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if not out["handler"]:
        raise RuntimeError("app has no callable handler")
    return out["import_s"], wall, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="processes per function and variant")
    parser.add_argument("--artefacts", type=Path, help="a build to measure (default: x86 mirror)")
    parser.add_argument("--function", action="append", default=[],
                        help="only this function (part of its logical id: compute)")  # fmt: skip
    parser.add_argument("--rebuild", action="store_true", help="rebuild the mirror")
    parser.add_argument("--python", default=getattr(sys, "_base_executable", sys.executable),
                        help="the python3.13 that imports (default: the base one)")  # fmt: skip
    args = parser.parse_args(argv)

    functions, layers = read_template()
    if args.function:
        wanted = [w.lower() for w in args.function]
        functions = [f for f in functions if any(w in f.package.name.lower() for w in wanted)]
        if not functions:
            print(f"no function matches {args.function}", file=sys.stderr)
            return 2
    names = {p.name for f in functions for p in (f.package, *f.layers)}

    if args.artefacts:
        build = args.artefacts.resolve()
        if not build.is_dir():
            print(f"{args.artefacts} not found: run `make build` first", file=sys.stderr)
            return 2
        _interpreter(args.python)
        print(f"artefacts: {build}")
    else:
        packages = [f.package for f in functions] + [
            layer for layer in layers if layer.name in names
        ]
        build = build_mirror(packages, args.python, args.rebuild)
    missing = missing_in(build, functions)
    if missing:
        print(f"{build} has no {', '.join(missing)}: not a build of this template",
              file=sys.stderr)  # fmt: skip
        return 2
    foreign = foreign_extensions(build, names)
    if foreign:
        print(f"{build} is not importable on {platform.machine()}: "
              + "; ".join(foreign) + ". Omit --artefacts to measure the x86 mirror.",
              file=sys.stderr)  # fmt: skip
        return 2
    shipped_pyc = {n: count_pyc(build / n) for n in sorted(names)}
    if not any(shipped_pyc.values()):
        print("note: these artefacts have no .pyc: both variants measure sources only")

    work = CACHE / "cold"
    home = work / "home"
    _remove(work)
    home.mkdir(parents=True)
    roots = {}
    for variant, _ in VARIANTS:
        roots[variant] = work / variant
        read_only_copy(build, names, roots[variant], with_pyc=variant == "pyc")
    before = {v: count_pyc(r) for v, r in roots.items()}

    results = {(f.package.name, v): Result([], []) for f in functions for v, _ in VARIANTS}
    print(f"cold `import app`: {args.runs} fresh processes per function and variant, "
          f"interleaved ({args.python})", flush=True)  # fmt: skip
    try:
        for _ in range(args.runs):
            for fn in functions:
                for variant, _label in VARIANTS:
                    res = results[fn.package.name, variant]
                    if res.error:
                        continue
                    try:
                        seconds, wall, out = run_once(args.python, fn, roots[variant], home)
                    except RuntimeError as exc:
                        res.error = str(exc)
                        continue
                    res.imports.append(seconds)
                    res.processes.append(wall)
                    res.modules, res.packages = out["modules"], tuple(out["packages"])
        written = {v: count_pyc(r) - before[v] for v, r in roots.items()}
    finally:
        _remove(work)

    print(f"{'function':<30} {'variant':<16} {'min':>6} {'median':>7} {'max':>6}"
          f" {'process':>8}  target (median)")  # fmt: skip
    failed = False
    for fn in functions:
        name = fn.package.name
        for variant, label in VARIANTS:
            res = results[name, variant]
            head = f"{name if variant == 'pyc' else '':<30} {label:<16}"
            if res.error:
                failed = True
                print(f"{head} IMPORT FAILED:\n    " + res.error.replace("\n", "\n    "))
                continue
            med = statistics.median(res.imports)
            line = (f"{head} {min(res.imports):6.3f} {med:7.3f} {max(res.imports):6.3f}"
                    f" {statistics.median(res.processes):8.3f}")  # fmt: skip
            if variant == "pyc":
                target = TARGETS.get(name)
                if target is not None:
                    verdict = "ok" if med <= target else "OVER TARGET"
                    line += f"  <= {target:.1f} s: {verdict}"
            else:
                line += "  (the alternative)"
            print(line)
        ok = results[name, "pyc"]
        if not ok.error:
            print(f"{'':<30} loads {ok.modules} modules; from the package: "
                  + (", ".join(ok.packages) or "-"))  # fmt: skip
    print(
        "seconds: `import app` in the process (min/median/max) and the whole process "
        "(median, start to exit)"
    )
    print(
        "bytecode written during the runs: "
        + (", ".join(f"{n} .pyc in {v}" for v, n in written.items() if n) or "none")
    )
    if failed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
