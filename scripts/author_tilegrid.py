"""How the bundled tile-grid cartogram (layer/danmarkskort/data/tilegrid.csv) was authored.

Run once by a developer, not at build or run time: reads the DAGI boundaries beside the repo,
spreads the dense capital area out around Copenhagen, and places the 98 municipalities on a
square grid by an optimal assignment (scipy, authoring only) so neighbours stay near each
other. The printed grid was then checked by eye and adjusted by hand in the CSV (see its
header). Usage: python3 scripts/author_tilegrid.py ../shared/geo/kommuner.geojson
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from collections import defaultdict

import numpy as np
from scipy.optimize import linear_sum_assignment

COLS, ROWS = 14, 12
CPH = (12.50, 55.68)


def centroids(path: str) -> dict[str, tuple[float, float]]:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    acc: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for f in doc["features"]:
        code = f["properties"]["KOMKODE"][-3:]
        if code == "411":
            continue
        ring = f["geometry"]["coordinates"][0]
        a = cx = cy = 0.0
        for (x1, y1, *_), (x2, y2, *_) in itertools.pairwise(ring):
            cross = x1 * y2 - x2 * y1
            a += cross
            cx += (x1 + x2) * cross
            cy += (y1 + y2) * cross
        if a:
            w = abs(a)
            acc[code][0] += cx / (3 * a) * w
            acc[code][1] += cy / (3 * a) * w
            acc[code][2] += w
    return {c: (v[0] / v[2], v[1] / v[2]) for c, v in acc.items()}


def main(path: str) -> None:
    pts = centroids(path)
    codes = sorted(pts)
    xy = {}
    for c in codes:
        lon, lat = pts[c]
        if c == "400":  # Bornholm: pulled in next to Zealand's east coast
            lon, lat = 13.0, 55.35
        x = (lon - CPH[0]) * 63.0  # km, roughly
        y = (lat - CPH[1]) * 111.0
        r = math.hypot(x, y)
        if r > 0:  # fisheye around Copenhagen: the capital's small municipalities get room
            scale = (r + 25.0) ** 0.72 / r if r < 120 else (120 + 25.0) ** 0.72 / 120
            x, y = x * scale, y * scale
        xy[c] = (x, -y)
    arr = np.array([xy[c] for c in codes])
    arr -= arr.min(axis=0)
    arr /= arr.max(axis=0)
    arr *= [COLS - 1, ROWS - 1]
    cells = [(col, row) for row in range(ROWS) for col in range(COLS)]
    cost = np.array([[(x - cx) ** 2 + (y - cy) ** 2 for cx, cy in cells] for x, y in arr])
    rows, cols = linear_sum_assignment(cost)
    grid = {cells[j]: codes[i] for i, j in zip(rows, cols, strict=True)}
    for row in range(ROWS):
        print(" ".join(grid.get((col, row), "...") for col in range(COLS)))
    for (col, row), code in sorted(grid.items(), key=lambda kv: kv[1]):
        print(f"{code};{col};{row}")


if __name__ == "__main__":
    main(sys.argv[1])
