"""Benchmark: render_site's work for 98 municipalities × 3 areas × 5 years.

Measures, each in a fresh child process so nothing is warm that would not be warm in a new
Lambda: the import of the handler module (target under 0.5 s; pandas must not be imported),
rendering the full site with the built-in tile grid (target under 2 s), the same with the
geographic map from ../shared/geo/kommuner.geojson when it is there (projection and
simplification included), and publishing to an in-process S3 (moto) with the handler's
publisher. Figures are printed, not asserted: a slow run is information, not a failure.

    python bench/render.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.lambda_package import compile_templates  # noqa: E402

GEOJSON = REPO.parent / "shared" / "geo" / "kommuner.geojson"
TARGET_RENDER = 2.0
TARGET_IMPORT = 0.5
FUNNELS = 5 * 3  # one per year and area

IMPORT = """
import importlib.util, json, sys, time
t = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", "functions/render_site/app.py")
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
print(json.dumps({"seconds": time.perf_counter() - t, "pandas": "pandas" in sys.modules}))
"""

RENDER = """
import json, os, sys, time
sys.path.insert(0, ".")
from tests.figures_support import beneficiary_table, make_doc
doc = make_doc(years=(2020, 2021, 2022, 2023, 2024))
# Danmarks Statistik's counts in every box (issue 12), unless asked to go without them
recipients = None if os.environ.get("BENCH_NO_RECIPIENTS") else beneficiary_table(doc)
t0 = time.perf_counter()
from danmarkskort.domain.areas import default_mapping
from danmarkskort.config.sources import DirSource, layered
from danmarkskort.domain.remarks import load_remark_book
from danmarkskort.render.job import load_geometry
from danmarkskort.render.site import build_site
from danmarkskort.render.style import load_style
if os.environ.get("BENCH_NO_BYTECODE"):  # the alternative: templates compiled when loaded
    from danmarkskort import templates
    templates.BuiltBytecode.load_bytecode = lambda self, bucket: None
from danmarkskort.render import charts
funnel = [0.0]  # CPU seconds in the funnel plots (issue 12)
def timed(f):
    def run(*args, **kwargs):
        c = time.process_time()
        try:
            return f(*args, **kwargs)
        finally:
            funnel[0] += time.process_time() - c
    return run
charts.funnel_chart = timed(charts.funnel_chart)
cfg = os.environ.get("BENCH_CONFIG")
source = layered(DirSource(cfg)) if cfg else layered()
mapping = default_mapping()
t1 = time.perf_counter()
geometry = load_geometry(source)
t2 = time.perf_counter()
c2 = time.process_time()
site = build_site(doc, remarks=load_remark_book(source, mapping), mapping=mapping,
                  geometry=geometry, style=load_style(source), site_url="https://example.dk",
                  beneficiaries=recipients)
t3 = time.perf_counter()
c3 = time.process_time()
from danmarkskort.council_pdf import CouncilPdfs
from danmarkskort.domain.municipalities import registry
pdfs = CouncilPdfs(doc, mapping, load_remark_book(source, mapping), recipients,
                   site_url="https://example.dk")
c4 = time.process_time()
for m in registry().municipalities:
    pdfs.pdf(m)
out = {"imports": t1 - t0, "geometry": t2 - t1, "render": t3 - t2, "total": t3 - t0,
       "render_cpu": c3 - c2, "pdfs_cpu": time.process_time() - c4, "funnel_cpu": funnel[0],
       "files": len(site.files) + len(site.entry_points),
       "bytes": sum(len(f.body) for f in (*site.files, *site.entry_points))}
if os.environ.get("BENCH_PUBLISH"):
    import boto3
    from moto import mock_aws
    from danmarkskort.adapters.s3 import Bucket
    from danmarkskort.render.publish import publish_site
    os.environ.update(AWS_DEFAULT_REGION="eu-north-1", AWS_ACCESS_KEY_ID="x",
                      AWS_SECRET_ACCESS_KEY="x")
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="site",
                         CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
        t4 = time.perf_counter()
        publish_site(Bucket("site", s3), site, about={"extract_id": doc.extract_id})
        out["publish_moto"] = time.perf_counter() - t4
print(json.dumps(out))
"""


def child(code: str, **env: str) -> dict:
    import os

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            **env,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "AWS_DEFAULT_REGION": "eu-north-1",
        },
    )
    if result.returncode:
        sys.stderr.write(result.stderr)
        raise SystemExit(result.returncode)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    imports = [child(IMPORT) for _ in range(3)]
    best = min(i["seconds"] for i in imports)
    print(
        f"handler module import (fresh interpreter, best of 3): {best:.3f} s "
        f"(target < {TARGET_IMPORT} s), pandas imported: {imports[0]['pandas']}"
    )
    written = compile_templates(REPO / "layer")
    print(f"templates: {written} jinja2 bytecode files compiled, as `make build` ships them")
    tile, bare, compiling = [], [], []
    for _ in range(3):  # in turn, so a slow minute of the machine falls on each alike
        tile.append(child(RENDER))
        bare.append(child(RENDER, BENCH_NO_RECIPIENTS="1"))
        compiling.append(child(RENDER, BENCH_NO_BYTECODE="1"))
    t = min(tile, key=lambda r: r["total"])
    b = min(bare, key=lambda r: r["total"])
    c = min(compiling, key=lambda r: r["total"])
    print(
        f"tile grid, 98 × 3 areas × 5 years, with Danmarks Statistik's recipients, best of 3: "
        f"render {t['render']:.2f} s (CPU {t['render_cpu']:.2f} s; of it the {FUNNELS} funnel "
        f"plots {t['funnel_cpu']:.2f} s, and the 98 council PDFs, made once more apart, take "
        f"{t['pdfs_cpu']:.2f} s), with imports {t['total']:.2f} s (target < {TARGET_RENDER} s); "
        f"{t['files']} files, {t['bytes'] / 1e6:.1f} MB"
    )
    print(
        f"the same without recipients: render {b['render']:.2f} s (CPU {b['render_cpu']:.2f} s), "
        f"so the recipients add {t['render_cpu'] - b['render_cpu']:+.2f} s CPU"
    )
    print(
        f"the same with the templates compiled when loaded (no bytecode): render "
        f"{c['render']:.2f} s (CPU {c['render_cpu']:.2f} s), "
        f"{c['render_cpu'] - t['render_cpu']:+.2f} s CPU"
    )
    if GEOJSON.is_file():
        import tempfile

        with tempfile.TemporaryDirectory() as cfg:
            (Path(cfg) / "kommuner.geojson").write_bytes(GEOJSON.read_bytes())
            geo = min((child(RENDER, BENCH_CONFIG=cfg) for _ in range(3)), key=lambda r: r["total"])
        print(
            f"geographic map (DAGI GeoJSON), best of 3: geometry {geo['geometry']:.2f} s, "
            f"render {geo['render']:.2f} s, total {geo['total']:.2f} s; "
            f"{geo['files']} files, {geo['bytes'] / 1e6:.1f} MB"
        )
    else:
        print(f"geographic map: skipped, {GEOJSON} is absent")
    pub = child(RENDER, BENCH_PUBLISH="1")
    print(
        f"publish to S3 (moto, in process): {pub['publish_moto']:.2f} s for {pub['files']} objects"
    )


if __name__ == "__main__":
    main()
