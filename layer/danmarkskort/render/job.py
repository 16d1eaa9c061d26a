"""render_site's work, given a RatesComputed event: read figures and config, render, publish,
announce. Buckets and bus come in from the handler as ports, so this never imports boto3.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from danmarkskort.config.sources import CONFIG_PREFIX, BucketSource, ConfigSource, layered
from danmarkskort.domain.areas import load_mapping
from danmarkskort.domain.beneficiaries import load_reported
from danmarkskort.domain.figures import FiguresDoc, load_announced
from danmarkskort.domain.record import Record, merge, plan_mailing, published_doc
from danmarkskort.domain.remarks import load_remark_book
from danmarkskort.events import (
    EventError,
    ObjectCreatedEvent,
    RatesComputed,
    SiteKeys,
    SiteLinks,
    SitePublished,
)
from danmarkskort.ports import BlobStore, EventPublisher, Once, always
from danmarkskort.render.geojson import geometry_from_geojson
from danmarkskort.render.geometry import MapGeometry, tilegrid
from danmarkskort.render.publish import publish_site
from danmarkskort.render.publisher import load_publisher
from danmarkskort.render.record_store import RecordStore, state_key
from danmarkskort.render.site import build_site
from danmarkskort.render.style import load_style

GEOJSON_FILE = "kommuner.geojson"


def load_geometry(source: ConfigSource) -> MapGeometry:
    """The geographic map when kommuner.geojson is configured, else the tile grid."""
    data = source.read(GEOJSON_FILE)
    if data is None:
        return tilegrid()
    return geometry_from_geojson(data, source=GEOJSON_FILE)


class ForeignBucket(EventError):
    """The event names a bucket that is not this stack's: never read from it."""


@dataclass
class RenderJob:
    data: BlobStore  # figures and config/
    site: BlobStore  # the published site
    bus: EventPublisher
    site_url: str
    once: Once = always

    def run(self, event: RatesComputed) -> dict[str, Any]:
        """Render and publish the site once per extract; returns the SitePublished detail."""
        if event.bucket != self.data.name:
            raise ForeignBucket(
                f"RatesComputed names bucket {event.bucket!r}, not the data bucket "
                f"{self.data.name!r}: refused"
            )
        return self.once(self._publish)(detail=event.to_detail())

    def rerender(self, changed: ObjectCreatedEvent) -> dict[str, Any]:
        """A file under config/ changed (remarks, cooperation, recipients, ...): the current
        site again from the record, under the new configuration. No mail: the figures are
        the same. Deterministic per event (the version is made from it), so a redelivery
        rewrites the same version."""
        bucket, key = changed.detail.bucket.name, changed.detail.object.key
        if bucket != self.data.name or not key.startswith(CONFIG_PREFIX):
            raise ForeignBucket(
                f"s3://{bucket}/{key} is not under {CONFIG_PREFIX} of the data bucket "
                f"{self.data.name!r}: refused"
            )
        record = RecordStore(self.data).load()
        if not record.sources:
            return {"status": "nothing_published", "config": key}
        newest = max(record.sources, key=lambda s: (s.applied, s.extract_id))
        doc, figures_key = load_announced(
            self.data, f"results/{newest.extract_id}/figures.json", newest.extract_id
        )
        seed = f"{record.seq}|{key}|{changed.detail.object.sequencer}|{changed.time.isoformat()}"
        return self._render(
            record,
            doc,
            figures_key,
            version=hashlib.sha256(seed.encode()).hexdigest()[:16],
            mailing={"kind": "none"},
            record_key=state_key(record.seq),
            extra={"reason": f"configuration changed: {key}"},
        )

    def _publish(self, detail: dict[str, Any]) -> dict[str, Any]:
        event = RatesComputed.model_validate(detail)
        doc, figures_key = load_announced(self.data, event.keys.figures_json, event.extract_id)
        store = RecordStore(self.data)
        # A year's figures count as published when their extract was received: deterministic,
        # so a retry merges to the very same state.
        merged = merge(store.load(), doc, applied=doc.received)
        outcomes = {str(o.aar): o.kind for o in merged.outcomes}
        if not merged.changed:
            # Figures equal to what is published (or only older than it): nothing to show
            # or send. The record stays as it is.
            return {"status": "unchanged", "extract_id": doc.extract_id, "years": outcomes}
        record_key = store.write(merged.record)
        result = self._render(
            merged.record,
            doc,
            figures_key,
            version=None,
            mailing=plan_mailing(merged),
            record_key=record_key,
            extra={"extract_years": outcomes},
        )
        # In force last: a failure before this point is retried from the old record, writes
        # the same state and version again, and notify's ledger sends no mail twice.
        store.make_current(merged.record)
        return result

    def _render(
        self,
        record: Record,
        doc: FiguresDoc,
        figures_key: str,
        *,
        version: str | None,
        mailing: dict[str, Any],
        record_key: str,
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        """The site of this record, published and announced."""
        published_figures = published_doc(record, doc)
        source = layered(BucketSource(self.data))
        mapping = load_mapping(source)
        beneficiaries = load_reported(source, mapping, doc.extract_id)
        site = build_site(
            published_figures,
            remarks=load_remark_book(source, mapping),
            mapping=mapping,
            geometry=load_geometry(source),
            style=load_style(source),
            site_url=self.site_url,
            version=version,
            provenance={
                s.aar: {
                    "extract_id": s.extract_id,
                    "extract_file": s.extract_file,
                    "received": s.received,
                }
                for s in record.sources
            },
            changelog=record.changelog,
            publisher=load_publisher(source),
            beneficiaries=beneficiaries.table,
        )
        years = list(published_figures.years)
        about = {
            "extract_id": doc.extract_id,
            "extract_file": doc.extract_file,
            "received": doc.received,
            "years": years,
            **extra,
            # The optional recipients input: used, or rejected with its problems (never
            # absent from the figures' publication for it).
            **(
                {"beneficiaries": beneficiaries.report()}
                if beneficiaries.status != "absent"
                else {}
            ),
            "figures_key": figures_key,
            "record_key": record_key,
            "links": site.links,
            "mailing": mailing,
        }
        written = publish_site(self.site, site, about=about)
        published = SitePublished(
            extract_id=doc.extract_id,
            years=years,
            bucket=self.site.name,
            data_bucket=self.data.name,
            figures_key=figures_key,
            version=site.version,
            site_url=self.site_url,
            keys=SiteKeys.model_validate(
                {
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
                }
            ),
            files=written["files"],
            entry_points=written["entry_points"],
            links=SiteLinks.model_validate(site.links),
        )
        self.bus.emit(published)
        result: dict[str, Any] = {"status": "published", **published.to_detail()}
        if beneficiaries.status != "absent":
            result["beneficiaries"] = beneficiaries.report()
        return result
