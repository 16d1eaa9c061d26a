"""How the council PDF's fonts (layer/danmarkskort/data/pdf-*.ttf and pdf-fonts.json) were made.

Run once by a developer, not at build or run time: subsets DejaVu Sans and DejaVu Sans Bold
(Bitstream Vera licence, layer/danmarkskort/data/pdf-fonts-LICENSE.txt; the names contain
neither "Bitstream" nor "Vera", so a subset may keep its name) to the characters of
Windows-1252, the encoding danmarkskort/pdf_writer.py writes text in (æ, ø, å, –, „ and the
rest of Danish typography), without hinting or layout tables; and writes each font's metrics
(advance widths of the codes 32-255, bounding box, ascent, descent, cap height) to
pdf-fonts.json, so the writer needs no font library at run time (fontTools is needed here only).

Usage: python3 scripts/pdf_fonts.py /usr/share/fonts/truetype/dejavu
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

OUT = Path(__file__).resolve().parents[1] / "layer" / "danmarkskort" / "data"
FONTS = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}
CODES = range(32, 256)


def cp1252_chars() -> dict[int, str]:
    out = {}
    for code in CODES:
        try:
            out[code] = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            continue  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: undefined in Windows-1252
    return out


def main(folder: str) -> None:
    chars = cp1252_chars()
    metrics: dict[str, object] = {}
    for style, name in FONTS.items():
        font = TTFont(Path(folder) / name)
        options = subset.Options()
        options.layout_features = []
        options.hinting = False
        options.drop_tables += ["FFTM", "GDEF", "GPOS", "GSUB", "kern"]
        options.notdef_outline = True
        sub = subset.Subsetter(options)
        sub.populate(unicodes=[ord(c) for c in chars.values()])
        sub.subset(font)
        target = OUT / f"pdf-{style}.ttf"
        font.save(target)
        font = TTFont(target)
        scale = 1000 / font["head"].unitsPerEm
        cmap = font.getBestCmap()
        hmtx = font["hmtx"]
        widths = []
        for code in CODES:
            ch = chars.get(code)
            glyph = cmap.get(ord(ch)) if ch else None
            widths.append(round(hmtx[glyph][0] * scale) if glyph else 0)
        head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
        metrics[style] = {
            "file": target.name,
            "name": font["name"].getDebugName(6),
            "widths": widths,
            "bbox": [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
            "ascent": round(hhea.ascent * scale),
            "descent": round(hhea.descent * scale),
            "cap_height": round(getattr(os2, "sCapHeight", hhea.ascent) * scale),
        }
        print(f"{target.name}: {target.stat().st_size:,} bytes")
    (OUT / "pdf-fonts.json").write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/dejavu")
