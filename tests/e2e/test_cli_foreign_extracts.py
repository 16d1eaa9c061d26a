"""`danmarkskort run` on extracts as other tools write them: a workbook with a title row
and both a code and a name column is published; a CSV with an unquoted separator in a value
is rejected with the line in the report, and nothing is published."""

from __future__ import annotations

import io

from danmarkskort_tools.cli import main
from openpyxl import Workbook

from tests.config_support import small_config_dir

AGG_COLUMNS = ["Lov", "Paragraf", "Aar", "Stadfæstelse", "Ændring/Ophævelse", "Hjemvisning",
               "Afvisning/Henvisning"]  # fmt: skip


def _workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["Omgørelser 2024 – udtræk"])
    ws.append(["Kommunekode", "Kommune", *AGG_COLUMNS])
    ws.append([155, "Dragør", "SEL", "§ 83", 2024, 1, 0, 0, 0])
    ws.append([None, "I alt", None, None, 2024, 1, 0, 0, 0])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_run_publishes_a_foreign_workbook_and_rejects_a_broken_csv(tmp_path, capsys):
    good = tmp_path / "Ankestyrelsen 2024 (titel, kode og navn).xlsx"
    good.write_bytes(_workbook())
    # One municipality is a partial delivery: refused by default ...
    assert main(["run", str(good), "--out", str(tmp_path / "partial")]) == 2
    report = (tmp_path / "partial" / "rejected" / "report.txt").read_text(encoding="utf-8")
    assert "Udtrækket dækker ikke hele landet" in report and "kun 1 af de 98" in report
    # ... and published when udtraek.json lets it through on purpose: the national figure
    # is then named for the one municipality, and only Dragør is mailed.
    config = small_config_dir(tmp_path)
    assert main(["run", str(good), "--config", str(config), "--out", str(tmp_path / "ok")]) == 0
    figures = (tmp_path / "ok" / "results" / "figures.csv").read_text(encoding="utf-8")
    assert "2024,socialomraadet,155,Dragør,1,0,0,0,1," in figures
    national = "2024,socialomraadet,000,Den ene kommune i udtrækket,1,0,0,0,1,"
    assert national in figures  # 'I alt' not added, and never 'Hele landet'
    assert "Hele landet" not in figures
    assert sorted(p.name for p in (tmp_path / "ok" / "outbox").iterdir()) == ["155.eml"]

    bad = tmp_path / "skævt komma.csv"
    header = "Instans," + ",".join(AGG_COLUMNS)
    bad.write_text(header + "\nDragør,SEL,§ 44, jf. § 83,2024,1,0,0,0\n", encoding="utf-8")
    assert main(["run", str(bad), "--out", str(tmp_path / "bad")]) == 2
    report = (tmp_path / "bad" / "rejected" / "report.txt").read_text(encoding="utf-8")
    assert "række 2" in report and "flere felter end overskriften" in report
    results = tmp_path / "bad" / "results"
    assert not results.exists() or not any(results.iterdir())
    capsys.readouterr()
