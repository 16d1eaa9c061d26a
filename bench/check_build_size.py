"""After `sam build`: each function's unzipped size, its own code plus its layers, against
Lambda's 250 MB limit (function and layers together, unzipped). Used by `make build`.

    python bench/check_build_size.py [.aws-sam/build]

Reads the built template (.aws-sam/build/template.yaml) to know which directory holds which
function and which layers each function uses. Exit 1 when a function is over the limit.
"""

from __future__ import annotations

import sys
from pathlib import Path

from danmarkskort_tools.local.template import load_template

LIMIT_BYTES = 262_144_000  # 250 MB, Lambda's limit for function + layers, unzipped


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def biggest(path: Path, n: int = 3) -> list[tuple[str, int]]:
    """The largest top-level packages, to know what to trim when a function grows."""
    roots = [path / "python"] if (path / "python").is_dir() else [path]
    sizes = [(p.name, tree_size(p) if p.is_dir() else p.stat().st_size)
             for root in roots for p in root.iterdir()]  # fmt: skip
    return sorted(sizes, key=lambda item: -item[1])[:n]


def main(argv: list[str]) -> int:
    build = Path(argv[1] if len(argv) > 1 else ".aws-sam/build")
    template = build / "template.yaml"
    if not template.is_file():
        print(f"{template} not found: run `sam build` first", file=sys.stderr)
        return 2
    resources = load_template(template)["Resources"]
    glob = load_template(template).get("Globals", {}).get("Function", {})
    layer_dirs = {
        lid: build / str(res["Properties"]["ContentUri"])
        for lid, res in resources.items()
        if res["Type"] == "AWS::Serverless::LayerVersion"
    }
    failed = False
    print(f"{'function':<32} {'code':>9} {'layers':>9} {'total':>9}  of 250 MB")
    for lid, res in sorted(resources.items()):
        if res["Type"] != "AWS::Serverless::Function":
            continue
        props = res["Properties"]
        code = build / str(props["CodeUri"])
        layers = props.get("Layers", glob.get("Layers", []))
        layer_bytes = 0
        for layer in layers:
            ref = layer.get("Ref") if isinstance(layer, dict) else None
            if ref not in layer_dirs:
                print(f"{lid}: layer {layer!r} is not built here; cannot measure it")
                failed = True
                continue
            layer_bytes += tree_size(layer_dirs[ref])
        code_bytes = tree_size(code)
        total = code_bytes + layer_bytes
        over = total > LIMIT_BYTES
        failed |= over
        mb = 1_000_000
        print(
            f"{lid:<32} {code_bytes / mb:8.1f}M {layer_bytes / mb:8.1f}M {total / mb:8.1f}M"
            f"  {100 * total / LIMIT_BYTES:4.0f} %{'  OVER THE LIMIT' if over else ''}"
        )
        if over or total > LIMIT_BYTES / 2:
            print("    largest: " + ", ".join(f"{n} {s / mb:.1f}M" for n, s in biggest(code)))
    for lid, path in layer_dirs.items():
        print(f"layer {lid}: " + ", ".join(f"{n} {s / 1e6:.1f}M" for n, s in biggest(path, 5)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
