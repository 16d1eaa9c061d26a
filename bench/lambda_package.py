"""Lay out and byte-compile Lambda packages the way `make build` ships them.

    python3.13 bench/lambda_package.py compile [.aws-sam/build]

`compile` gives every package directory of a `sam build` output hash-based bytecode
(`python3.13 -m compileall -q --invalidation-mode unchecked-hash`): each function's directory
(.aws-sam/build/<Function>/, unpacked at /var/task) and each layer's
(.aws-sam/build/<Layer>/python/..., unpacked at /opt/python). Without bytecode every cold start
compiles every module it imports (compute_rates: pandas, numpy, botocore...). Timestamp .pyc
would not help: the deployment zip redates the sources, so the runtime would find them stale
and recompile; unchecked-hash .pyc are used as they are. The Lambda runtime is CPython 3.13
(the same bytecode magic number for every 3.13.x) and bytecode is platform-independent, so an
x86_64 machine compiles for the arm64 functions. The recorded file names are those at run
time (/var/task/..., /opt/python/...), so tracebacks read as they would in Lambda.

The layer's templates get their jinja2 bytecode too (danmarkskort/templates.py: compiled
once here, read at every cold start; the site's took about 0.3 s to compile).

Test suites that wheels ship (pandas/tests, numpy/*/tests: ~26 MB of sources) are not
compiled: no handler imports them, and their bytecode would add ~33 MB to compute_rates.

bench/cold_start.py uses lay_out() to build an importable x86_64 mirror of the sam build, and
compile_package() to compile it exactly as `make build` compiles the real one.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

RUNTIME = (3, 13)  # the functions' Runtime: python3.13
FUNCTION_ROOT = "/var/task"  # where Lambda unpacks a function's code
LAYER_ROOT = "/opt"  # where Lambda unpacks a layer (its python/ dir is on sys.path)
NOT_COMPILED = r".*[/\\]tests?[/\\]"  # under the package dir (compileall -x): wheels' test suites
# Not copied from a source directory into a package: what sam build leaves out too.
SOURCE_IGNORE = shutil.ignore_patterns(
    "__pycache__",
    "__bytecode__",
    "*.pyc",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".DS_Store",
)


def is_layer(package: Path) -> bool:
    """sam build lays out a python3.x layer as <Layer>/python/...; a function has no python/."""
    return (package / "python").is_dir() and not (package / "app.py").exists()


def packages(build: Path) -> list[Path]:
    """The package directories of a build (one per function and per layer)."""
    return sorted(p for p in build.iterdir() if p.is_dir() and not p.name.startswith("."))


def compile_package(package: Path, python: str | None = None, quiet: bool = True) -> None:
    """Hash-based (unchecked) bytecode for every module of one package directory, with the
    file names the runtime will see. Raises CalledProcessError when a module does not compile.
    """
    python = python or sys.executable
    package = package.resolve()
    runtime_dir = LAYER_ROOT if is_layer(package) else FUNCTION_ROOT
    cmd = [python, "-m", "compileall", "-q" if quiet else "-l", "-j", "0",
           "--invalidation-mode", "unchecked-hash", "-x", re.escape(str(package)) + NOT_COMPILED,
           "-s", str(package), "-p", runtime_dir, str(package)]  # fmt: skip
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL if quiet else None)
    if is_layer(package) and (package / "python" / "danmarkskort" / "templates.py").is_file():
        compile_templates(package / "python", python)


# In a fresh interpreter with only the layer on its path, as the functions import it.
COMPILE_TEMPLATES = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from danmarkskort.templates import compile_bytecode, package_environments; "
    "print(len(compile_bytecode(package_environments())))"
)


def compile_templates(layer_python: Path, python: str | None = None) -> int:
    """The jinja2 bytecode of every template of the layer (danmarkskort/templates.py): a cold
    render then reads its templates instead of parsing them. Returns the files written."""
    out = subprocess.run(
        [python or sys.executable, "-I", "-c", COMPILE_TEMPLATES, str(layer_python.resolve())],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(out.split()[-1])


def _check_interpreter(python: str) -> None:
    out = subprocess.run(
        [python, "-c", "import sys; print(*sys.version_info[:2])"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    if tuple(int(x) for x in out) != RUNTIME:
        raise SystemExit(
            f"{python} is Python {'.'.join(out)}; the functions run python"
            f"{'.'.join(map(str, RUNTIME))} and bytecode is tied to the minor version"
        )


def install_requirements(
    requirements: Path,
    target: Path,
    python: str | None = None,
    constraints: Path | None = None,
    pip_args: Sequence[str] = (),
) -> None:
    """pip install -r requirements into target (fresh, for this machine's platform), without
    bytecode (compile_package adds it) and without console scripts (sam build has none)."""
    cmd = [python or sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
           "--disable-pip-version-check", "--no-warn-script-location",
           "--root-user-action=ignore", "--target", str(target), "-r", str(requirements),
           *pip_args]  # fmt: skip
    if constraints is not None:
        cmd += ["--constraint", str(constraints)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:  # pip's output only when it failed (it warns about much else)
        print(proc.stdout + proc.stderr, file=sys.stderr)
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    shutil.rmtree(target / "bin", ignore_errors=True)


def has_requirements(requirements: Path) -> bool:
    """False for a missing or comment-only requirements.txt (nothing for pip to do)."""
    if not requirements.is_file():
        return False
    lines = (line.split("#", 1)[0].strip() for line in requirements.read_text().splitlines())
    return any(lines)


def lay_out(source: Path, dest: Path, dependencies: Path | None = None) -> None:
    """dest becomes what sam build makes of one CodeUri/ContentUri directory: the installed
    dependencies (a directory pip installed requirements.txt into), then source's files over
    them (no bytecode or caches). A function's dest is <build>/<Function>; a layer's is
    <build>/<Layer>/python."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dependencies is not None:
        shutil.copytree(dependencies, dest, symlinks=True)
    shutil.copytree(source, dest, ignore=SOURCE_IGNORE, dirs_exist_ok=True)


def pinned_versions(package: Path) -> list[str]:
    """name==version of every distribution installed in a built package (its *.dist-info)."""
    roots = [package / "python", package / "python/lib/python3.13/site-packages", package]
    pins: dict[str, str] = {}
    for root in roots:
        if not root.is_dir():
            continue
        for meta in root.glob("*.dist-info/METADATA"):
            fields = dict(
                line.split(": ", 1) for line in meta.read_text(errors="replace").splitlines()
                if line.startswith(("Name: ", "Version: "))
            )  # fmt: skip
            if "Name" in fields and "Version" in fields:
                pins.setdefault(fields["Name"].strip(), fields["Version"].strip())
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def compile_build(build: Path, names: Iterable[str] = (), python: str | None = None) -> None:
    wanted = set(names)
    for package in packages(build):
        if wanted and package.name not in wanted:
            continue
        print(f"compiling {package} (unchecked-hash .pyc)", flush=True)
        compile_package(package, python)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compile", help="byte-compile every package of a sam build")
    c.add_argument("build", nargs="?", type=Path, default=Path(".aws-sam/build"))
    c.add_argument("--only", action="append", default=[], help="a package dir name (repeatable)")
    args = parser.parse_args(argv)
    if not args.build.is_dir():
        print(f"{args.build} not found: run `sam build` first", file=sys.stderr)
        return 2
    _check_interpreter(sys.executable)
    try:
        compile_build(args.build, args.only)
    except subprocess.CalledProcessError as exc:
        print(f"FAILED: {' '.join(exc.cmd)} exited with {exc.returncode}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
