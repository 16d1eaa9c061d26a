"""udgiver.json in the data bucket through the real render handler: the publisher, contact
and accessibility statement the ministry configures are on every page; a wrong file is
refused by name and publishes nothing."""

from __future__ import annotations

import json

import pytest
from danmarkskort.config.sources import ConfigError

from tests.conftest import DATA_BUCKET, SITE_BUCKET
from tests.integration.test_render_site import (
    EXTRACT_A,
    lambda_context,
    load_handler,
    put_figures,
    rates_computed,
    site_text,
)

UDGIVER = {
    "udgiver": {"navn": "Social-, Bolig- og Ældreministeriet", "url": "https://www.sm.dk"},
    "kontakt": {
        "navn": "Kontoret for Ankestyrelsen",
        "email": "omgoerelser@sm.dk",
        "telefon": "+45 33 92 93 00",
    },
    "tilgaengelighedserklaering": {"url": "https://www.was.digst.dk/omgoerelser-sm-dk"},
}


def test_the_configured_publisher_and_statement_are_on_every_page(aws):
    aws.s3.put_object(
        Bucket=DATA_BUCKET, Key="config/udgiver.json", Body=json.dumps(UDGIVER).encode()
    )
    put_figures(aws, EXTRACT_A)
    load_handler()(rates_computed(EXTRACT_A), lambda_context())
    for key in ("index.html", "2024/index.html", "kommune/155-dragoer.html", "find.html"):
        page = site_text(aws, key)
        footer = page[page.index('<footer class="bund">') :]
        assert 'Udgivet af <a href="https://www.sm.dk">Social-, Bolig- og Ældreministeriet</a>' in (
            footer
        )
        assert 'telefon <a href="tel:+4533929300">+45 33 92 93 00</a>' in footer
        assert (
            '<a href="https://www.was.digst.dk/omgoerelser-sm-dk">Tilgængelighedserklæring</a>'
            in footer
        )
    # The statement lives elsewhere: no page of its own.
    assert not any(k.endswith("tilgaengelighed.html") for k in aws.keys(SITE_BUCKET))


def test_a_wrong_udgiver_json_is_refused_and_nothing_is_published(aws):
    bad = {**UDGIVER, "tilgaengelighedserklaering": {"url": "javascript:alert(1)"}}
    aws.s3.put_object(Bucket=DATA_BUCKET, Key="config/udgiver.json", Body=json.dumps(bad).encode())
    put_figures(aws, EXTRACT_A)
    with pytest.raises(
        ConfigError, match=r"udgiver\.json: tilgaengelighedserklaering\.url: is not an absolute"
    ):
        load_handler()(rates_computed(EXTRACT_A), lambda_context())
    assert aws.keys(SITE_BUCKET) == []
