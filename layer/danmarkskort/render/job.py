"""render_site's work, given its event detail: read figures and config, render, publish,
announce. Buckets and bus come in from the handler (adapters), so this never imports boto3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from danmarkskort import events
from danmarkskort.domain.areas import load_mapping
from danmarkskort.config.sources import BucketSource, ConfigSource, layered
from danmarkskort.domain.figures import load_announced
from danmarkskort.domain.remarks import load_remark_book
from danmarkskort.render.geojson import geometry_from_geojson
from danmarkskort.render.geometry import MapGeometry, tilegrid
from danmarkskort.render.publish import publish_site
from danmarkskort.render.site import build_site
from danmarkskort.render.style import load_style

GEOJSON_FILE = "kommuner.geojson"


def load_geometry(source: ConfigSource) -> MapGeometry:
    """The geographic map when kommuner.geojson is configured, else the tile grid."""
    data = source.read(GEOJSON_FILE)
    if data is None:
        return tilegrid()
    return geometry_from_geojson(data, source=GEOJSON_FILE)


@dataclass
class RenderJob:
    data: Any  # adapters.storage.Bucket: figures and config/
    site: Any  # adapters.storage.Bucket: the published site
    bus: Any  # adapters.bus.EventBus
    site_url: str

    def run(self, detail: dict[str, Any]) -> dict[str, Any]:
        """Render and publish the site for one RatesComputed detail; returns SitePublished."""
        events.require(detail, "extract_id", "keys", detail_type=events.RATES_COMPUTED)
        keys = detail["keys"]
        if not isinstance(keys, dict) or not keys.get("figures_json"):
            raise events.EventError(f"RatesComputed detail lacks keys.figures_json: {keys!r}")
        doc, figures_key = load_announced(
            self.data, keys["figures_json"], str(detail["extract_id"])
        )
        source = layered(BucketSource(self.data))
        mapping = load_mapping(source)
        site = build_site(
            doc,
            remarks=load_remark_book(source, mapping),
            mapping=mapping,
            geometry=load_geometry(source),
            style=load_style(source),
            site_url=self.site_url,
        )
        about = {
            "extract_id": doc.extract_id,
            "extract_file": doc.extract_file,
            "received": doc.received,
            "years": list(doc.years),
            "figures_key": figures_key,
        }
        written = publish_site(self.site, site, about=about)
        years = list(doc.years)
        published = {
            "extract_id": doc.extract_id,
            "years": years,
            "bucket": self.site.name,
            "data_bucket": self.data.name,
            "figures_key": figures_key,
            "version": site.version,
            "site_url": self.site_url,
            "keys": {
                "index": written["index"],
                "manifest": written["manifest"],
                "versions": written["versions"],
                "reading_guide": site.links["reading_guide"],
                "year_pages": {str(y): f"{site.prefix}{y}/index.html" for y in years},
                "open_data": {
                    str(y): {
                        "csv": f"{site.prefix}{y}/data/omgoerelser-{y}.csv",
                        "json": f"{site.prefix}{y}/data/omgoerelser-{y}.json",
                    }
                    for y in years
                },
            },
            "files": written["files"],
            "entry_points": written["entry_points"],
            "links": site.links,
        }
        self.bus.emit(events.SITE_PUBLISHED, published)
        return published
