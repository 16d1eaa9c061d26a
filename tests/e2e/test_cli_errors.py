"""The command line answers bad input with a message, never a traceback."""

from __future__ import annotations

import pytest
from danmarkskort_tools.cli import main


def test_invalid_config_names_the_file(tmp_path, capsys):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "areas.json").write_text('{"areas": [', encoding="utf-8")
    extract = tmp_path / "x.csv"
    extract.write_text(
        "Instans;Lov;Paragraf;Aar;Stadfæstelse;Ændring/Ophævelse;Hjemvisning;Afvisning/Henvisning\n",
        encoding="utf-8",
    )
    assert main(["validate", "--config", str(tmp_path / "cfg"), str(extract)]) == 1
    assert "konfigurationsfejl: areas.json" in capsys.readouterr().err  # validate is Danish


def test_missing_extract(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.csv")]) == 2
    assert "filen findes ikke" in capsys.readouterr().err


def test_a_reversed_year_range_is_refused_not_replaced_by_the_default(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["generate", str(tmp_path / "x.csv"), "--years", "2024-2022"])
    assert exit_.value.code == 2
    assert "'2024-2022' is not a year, a range or a list" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
