"""Municipality names and codes, paragraph labels and the area mapping."""

from __future__ import annotations

import csv
import json

import pytest
from danmarkskort.config.sources import ConfigError
from danmarkskort.domain.areas import default_mapping, parse_mapping
from danmarkskort.domain.municipalities import registry
from danmarkskort.domain.provisions import parse_paragraph

from tests.conftest import shared_path


def test_registry_matches_the_handed_out_list_of_98():
    rows = list(
        csv.DictReader(shared_path("data", "kommuner.csv").open(encoding="utf-8"), delimiter=";")
    )
    reg = registry()
    assert len(reg) == 98 == len(rows)
    for row in rows:
        m = reg.by_code(row["kommunekode"])
        assert (m.name, m.region) == (row["kommune"], row["region"])


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Århus", "751"),
        ("Aarhus Kommune", "751"),
        ("Ålborg", "851"),
        ("Aalborg", "851"),
        ("Høje Taastrup", "169"),
        ("Høje-Taastrup Kommune", "169"),
        ("Brønderslev-Dronninglund", "810"),
        ("Brønderslev", "810"),
        ("Vesthimmerland", "820"),
        ("Vesthimmerlands Kommune", "820"),
        ("Nordfyn", "480"),
        ("Nordfyns", "480"),
        ("Bornholms Regionskommune", "400"),
        ("Bornholm", "400"),
        ("Københavns Kommune", "101"),
        ("København", "101"),
        ("Dragør Kommune", "155"),
        ("155", "155"),
        ("0155", "155"),
        (155, "155"),
        ("155.0", "155"),
        ("  tårnby ", "185"),
        ("TAARNBY", "185"),
        ("Lyngby-Taarbæk", "173"),
    ],
)
def test_name_variants_resolve(value, code):
    hit = registry().resolve(value)
    assert hit.kind == "municipality" and hit.municipality.code == code


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("Region Hovedstaden", "region"),
        ("Region Nordjylland", "region"),
        ("1084", "region"),
        ("Kommunale fællesskaber", "faellesskab"),
        ("411", "ikke_kommune"),
        ("Christiansø", "ikke_kommune"),
    ],
)
def test_non_municipal_instances_are_excluded(value, kind):
    hit = registry().resolve(value)
    assert (hit.kind, hit.excluded_as) == ("excluded", kind)


@pytest.mark.parametrize("value", ["Gotham", "", "999", "Dragørr"])
def test_unknown_instances(value):
    assert registry().resolve(value).kind == "unknown"


def test_full_names_and_slugs():
    reg = registry()
    assert reg.by_code("155").full_name == "Dragør Kommune"
    assert reg.by_code("400").full_name == "Bornholms Regionskommune"
    assert reg.by_code("155").slug == "dragoer"
    assert reg.by_code("169").slug == "hoeje-taastrup"
    assert reg.by_code("492").slug == "aeroe"


@pytest.mark.parametrize(
    ("label", "sections"),
    [
        ("§ 32 a", ("32a",)),
        ("§32a", ("32a",)),
        ("§ 32a", ("32a",)),
        ("§§ 42-43", ("42", "43")),
        ("§ 42 - 43", ("42", "43")),
        ("§§ 39–40", ("39", "40")),
        ("§ 44, jf. § 83", ("44",)),
        ("SEL § 41", ("41",)),
        ("Servicelovens § 41", ("41",)),
        ("§ 41, stk. 2", ("41",)),
        ("§ 83 stk. 1 nr. 2", ("83",)),
        ("§§ 82 a og 82 b", ("82a", "82b")),
        ("BL § 86", ("86",)),
        ("41", ("41",)),
        ("§ 041", ("41",)),
        ("", ()),
        ("ingen paragraf", ()),
    ],
)
def test_paragraph_labels(label, sections):
    assert parse_paragraph(label) == sections


@pytest.mark.parametrize(
    ("law", "paragraf", "year", "areas"),
    [
        ("serviceloven", "§ 41", 2023, ("socialomraadet", "boernehandicap")),
        ("serviceloven", "§ 41", 2024, ("socialomraadet", "boernehandicap")),  # running measures
        ("serviceloven", "§ 107", 2024, ("socialomraadet", "voksenhandicap")),
        ("serviceloven", "§ 52", 2024, ("socialomraadet",)),
        ("barnets_lov", "§§ 87-88", 2024, ("socialomraadet", "boernehandicap")),
        ("barnets_lov", "§ 47", 2024, ("socialomraadet",)),
        ("barnets_lov", "§ 86", 2023, ()),  # barnets lov did not exist before 2024
    ],
)
def test_area_mapping_by_year(law, paragraf, year, areas):
    assert default_mapping().areas_for(law, paragraf, year) == areas


@pytest.mark.parametrize(
    ("label", "slug"),
    [
        ("Serviceloven", "serviceloven"),
        ("SEL", "serviceloven"),
        ("Lov om social service", "serviceloven"),
        ("Barnets lov", "barnets_lov"),
        ("BL", "barnets_lov"),
        ("Aktivloven", None),
    ],
)
def test_law_labels(label, slug):
    law = default_mapping().law_for(label)
    assert (law.slug if law else None) == slug


def test_invalid_area_mapping_names_file_entry_and_field():
    doc = json.loads(
        '{"areas": [{"slug": "a", "navn": "A"}], "laws": [{"slug": "l", "navn": "L"}],'
        ' "mappings": [{"omraade": "a", "lov": "l", "gyldig_fra": 2020, "bestemmelser": "*"},'
        ' {"omraade": "b", "lov": "l", "gyldig_fra": 2020, "bestemmelser": "*"}]}'
    )
    with pytest.raises(ConfigError, match=r"areas\.json: mappings\[1\]\.omraade: is no area .*'b'"):
        parse_mapping(json.dumps(doc).encode())
    doc["mappings"][1] = {"omraade": "a", "lov": "l", "gyldig_fra": "snart", "bestemmelser": "*"}
    with pytest.raises(ConfigError, match=r"mappings\[1\]\.gyldig_fra: must be a year"):
        parse_mapping(json.dumps(doc).encode())
    doc["mappings"][1] = {
        "omraade": "a",
        "lov": "l",
        "gyldig_fra": 2020,
        "bestemmelser": ["41", "x"],
    }
    with pytest.raises(
        ConfigError, match=r"mappings\[1\]\.bestemmelser\[1\]: is not a section .*'x'"
    ):
        parse_mapping(json.dumps(doc).encode())
    with pytest.raises(ConfigError, match=r"areas\.json"):
        parse_mapping(b"{not json")
    doc["mappings"][1] = "socialomraadet"
    with pytest.raises(ConfigError, match=r"mappings\[1\]: must be an object"):
        parse_mapping(json.dumps(doc).encode())
    doc["laws"].append({"slug": "m"})
    with pytest.raises(ConfigError, match=r"^areas\.json: laws\[1\]\.navn: is missing"):
        parse_mapping(json.dumps(doc).encode())


def test_a_config_file_no_source_has_is_named(tmp_path):
    from danmarkskort.config.sources import DirSource
    from danmarkskort.domain.areas import load_mapping

    with pytest.raises(ConfigError, match=r"^config file areas\.json was not found"):
        load_mapping(DirSource(tmp_path))
