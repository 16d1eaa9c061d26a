"""After `sam build`: what each function ships, its own code plus its layers.

    python bench/check_build_size.py [.aws-sam/build]

Reads the built template (.aws-sam/build/template.yaml) to know which directory holds which
function and which layers each function uses, then for each function:

- its unzipped size against Lambda's 250 MB limit (function and layers together, unzipped);
- that no development tool is in its package (its directory or one of its layers): moto,
  PyYAML, pytest, hypothesis, playwright, cfn-lint, ruff, mypy, danmarkskort_tools or the
  X-Ray SDK. They are found by their top-level import names and their *.dist-info;
- whether its modules have bytecode (__pycache__/*.cpython-313.pyc, as `make build` compiles
  them with bench/lambda_package.py) and of which kind. This is reported, not required.

Exit 1 when a function is over the limit or ships a development tool. Used by `make build`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from danmarkskort_tools.local.template import load_template

LIMIT_BYTES = 262_144_000  # 250 MB, Lambda's limit for function + layers, unzipped
CACHE_TAG = "cpython-313"  # the functions' runtime, python3.13

# What must never be in a function's package: the local AWS, the test and lint tools, the
# dev CLI, and the X-Ray SDK (Powertools' tracer extra, dropped for its cold-start cost).
# Display name -> the top-level import names and distribution names that give it away.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "moto": ("moto",),
    "PyYAML": ("yaml", "_yaml", "PyYAML"),
    "pytest": ("pytest", "_pytest"),
    "hypothesis": ("hypothesis",),
    "playwright": ("playwright",),
    "cfn-lint": ("cfnlint", "cfn-lint"),
    "ruff": ("ruff",),
    "mypy": ("mypy", "mypyc"),
    "danmarkskort_tools": ("danmarkskort_tools", "danmarkskort-tools"),
    "aws_xray_sdk": ("aws_xray_sdk", "aws-xray-sdk"),
    # Type stubs and what moto and the test tools bring along (never imported in Lambda).
    "type stubs": (
        "mypy_boto3_s3",
        "mypy_boto3_dynamodb",
        "mypy_boto3_events",
        "mypy_boto3_sesv2",
        "boto3_stubs",
        "botocore_stubs",
        "yaml-stubs",
    ),
    "pluggy": ("pluggy",),
    "responses": ("responses",),
    "werkzeug": ("werkzeug",),
    "xmltodict": ("xmltodict",),
}


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def pyc_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*.pyc") if p.is_file())


def biggest(path: Path, n: int = 3) -> list[tuple[str, int]]:
    """The largest top-level packages, to know what to trim when a function grows."""
    roots = [path / "python"] if (path / "python").is_dir() else [path]
    sizes = [(p.name, tree_size(p) if p.is_dir() else p.stat().st_size)
             for root in roots for p in root.iterdir()]  # fmt: skip
    return sorted(sizes, key=lambda item: -item[1])[:n]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


_FORBIDDEN_BY_NAME = {_normal(n): label for label, names in FORBIDDEN.items() for n in names}


def import_roots(package: Path) -> list[Path]:
    """The directories of a package that Lambda puts on sys.path: a function's root; a
    layer's python/ and python/lib/python3.13/site-packages."""
    if (package / "python").is_dir():
        candidates = [package / "python", package / "python/lib/python3.13/site-packages"]
        return [p for p in candidates if p.is_dir()]
    return [package]


def top_level_name(entry: Path) -> str:
    """The import or distribution name an entry of an import root stands for:
    yaml/ -> yaml, six.py -> six, _yaml.cpython-313-x86_64-linux-gnu.so -> _yaml,
    PyYAML-6.0.2.dist-info -> PyYAML."""
    name = entry.name
    if name.endswith((".dist-info", ".egg-info", ".data")):
        return name.split("-", 1)[0]
    return name.split(".", 1)[0] if entry.is_file() else name


def forbidden_in(package: Path) -> dict[str, list[str]]:
    """Forbidden package (display name) -> the entries of package that are it."""
    found: dict[str, list[str]] = {}
    for root in import_roots(package):
        for entry in sorted(root.iterdir()):
            label = _FORBIDDEN_BY_NAME.get(_normal(top_level_name(entry)))
            if label:
                found.setdefault(label, []).append(str(entry.relative_to(package)))
    return found


def bytecode(package: Path) -> tuple[int, int, int, dict[str, int]]:
    """(.py files, .py files outside tests/ dirs, of those with cpython-313 bytecode, kinds).

    The kind is read from the .pyc header's flags (PEP 552): timestamp, unchecked-hash or
    checked-hash."""
    kinds = {0: "timestamp", 1: "unchecked-hash", 3: "checked-hash"}
    total = outside_tests = compiled = 0
    found: dict[str, int] = {}
    for source in package.rglob("*.py"):
        total += 1
        parts = source.relative_to(package).parts[:-1]
        if "tests" in parts or "test" in parts:
            continue
        outside_tests += 1
        pyc = source.parent / "__pycache__" / f"{source.stem}.{CACHE_TAG}.pyc"
        if not pyc.is_file():
            continue
        compiled += 1
        with pyc.open("rb") as f:
            header = f.read(8)
        kind = (
            kinds.get(int.from_bytes(header[4:8], "little"), "unknown")
            if len(header) == 8
            else "unknown"
        )
        found[kind] = found.get(kind, 0) + 1
    return total, outside_tests, compiled, found


def main(argv: list[str]) -> int:
    build = Path(argv[1] if len(argv) > 1 else ".aws-sam/build")
    template = build / "template.yaml"
    if not template.is_file():
        print(f"{template} not found: run `sam build` first", file=sys.stderr)
        return 2
    document = load_template(template)
    resources = document["Resources"]
    glob = document.get("Globals", {}).get("Function", {})
    layer_dirs = {
        lid: build / str(res["Properties"]["ContentUri"])
        for lid, res in resources.items()
        if res["Type"] == "AWS::Serverless::LayerVersion"
    }
    failed = False
    mb = 1_000_000
    packages: dict[str, Path] = {}  # package (function or layer) -> its directory
    tools: list[str] = []
    print(f"{'function':<32} {'code':>9} {'layers':>9} {'total':>9}  of 250 MB")
    for lid, res in sorted(resources.items()):
        if res["Type"] != "AWS::Serverless::Function":
            continue
        props = res["Properties"]
        code = build / str(props["CodeUri"])
        packages[lid] = code
        layers = props.get("Layers", glob.get("Layers", []))
        layer_bytes = 0
        shipped = [(f"function {lid}", code)]
        for layer in layers:
            ref = layer.get("Ref") if isinstance(layer, dict) else None
            if ref not in layer_dirs:
                print(f"{lid}: layer {layer!r} is not built here; cannot measure it")
                failed = True
                continue
            layer_bytes += tree_size(layer_dirs[ref])
            shipped.append((f"layer {ref}", layer_dirs[ref]))
        code_bytes = tree_size(code)
        total = code_bytes + layer_bytes
        pyc = sum(pyc_size(path) for _, path in shipped)
        over = total > LIMIT_BYTES
        failed |= over
        print(
            f"{lid:<32} {code_bytes / mb:8.1f}M {layer_bytes / mb:8.1f}M {total / mb:8.1f}M"
            f"  {100 * total / LIMIT_BYTES:4.0f} %  (.pyc {pyc / mb:.1f}M)"
            f"{'  OVER THE LIMIT' if over else ''}"
        )
        if over or total > LIMIT_BYTES / 2:
            print("    largest: " + ", ".join(f"{n} {s / mb:.1f}M" for n, s in biggest(code)))
        for where, path in shipped:
            for label, entries in forbidden_in(path).items():
                tools.append(f"{lid}: {label} in its package ({where}: {', '.join(entries)})")
    for lid, path in layer_dirs.items():
        packages[lid] = path
        print(f"layer {lid}: " + ", ".join(f"{n} {s / 1e6:.1f}M" for n, s in biggest(path, 5)))

    print(f"bytecode ({CACHE_TAG}; modules under tests/ dirs are not counted):")
    for name, path in sorted(packages.items()):
        total, counted, compiled, kinds = bytecode(path)
        how = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
        note = (
            ""
            if compiled or not counted
            else "  NO .pyc: every cold start compiles what it imports"
        )
        print(f"  {name:<30} {compiled:5d} of {counted:5d} modules have .pyc ({how}){note}")

    if tools:
        failed = True
        print("DEVELOPMENT TOOLS IN A FUNCTION'S PACKAGE (they must not be deployed):")
        for line in tools:
            print(f"  {line}")
    else:
        print("development tools in a function's package: none (" + ", ".join(FORBIDDEN) + ")")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
