"""The command line answers bad input with a message, never a traceback."""

from __future__ import annotations

from danmarkskort.cli import main


def test_invalid_config_names_the_file(tmp_path, capsys):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "areas.json").write_text('{"areas": [', encoding="utf-8")
    extract = tmp_path / "x.csv"
    extract.write_text(
        "Instans;Lov;Paragraf;Aar;Stadfæstelse;Ændring/Ophævelse;Hjemvisning;Afvisning/Henvisning\n",
        encoding="utf-8",
    )
    assert main(["validate", "--config", str(tmp_path / "cfg"), str(extract)]) == 1
    assert "configuration error: areas.json" in capsys.readouterr().err


def test_missing_extract(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.csv")]) == 2
    assert "filen findes ikke" in capsys.readouterr().err
