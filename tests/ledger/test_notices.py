"""geo-screen notices: one .docx per decided enterprise, every field checked by reading the documents back."""

from __future__ import annotations

import io
import shutil
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest

from geo_screen import results as R
from geo_screen.cli import main
from geo_screen.errors import ConfigError
from geo_screen.ledger.entries import Entry
from geo_screen.ledger.notices import (
    NOTICE,
    RECTIFICATION_NOTICE,
    REQUIRED_FIELDS,
    TEMPLATES,
    load_notice_config,
    write_notices,
)
from geo_screen.ledger.store import open_ledger
from geo_screen.outputs.evidence import evidence_text
from geo_screen.screening.rules import load_rules
from geo_screen.vocabulary import NOTICE_BLANK, disposition_label, seed_item

TODAY = date(2026, 2, 1)
UNIT = "南通市通州区人民政府"
NOT_IN_RUN = "91320612MA1N00000X"
CONFIG = "contact: 联系人：李四　联系电话：0513-86000000\nstatement_days: 3\nhearing_days: 5\n"


@pytest.fixture(scope="module")
def case(demo_run, tmp_path_factory):
    """A ledger with decisions on flagged demo enterprises, and which enterprise plays which part."""
    result = R.load_result(demo_run)
    ents, hits = result.enterprises, result.hits
    ids = ents[R.ENTERPRISE_ID]
    unique = ~ids.duplicated(keep=False)
    flagged = ents[R.flagged_mask(ents) & unique.to_numpy()]
    with_distance = set(hits.loc[hits["required_m"].notna(), R.ENTERPRISE_ID])
    tongzhou = flagged[flagged[R.COUNTY] == "通州区"]
    per_law = tongzhou[tongzhou[R.ENTERPRISE_ID].isin(with_distance)][R.ENTERPRISE_ID].iloc[0]
    rectify = tongzhou[~tongzhou[R.ENTERPRISE_ID].isin(with_distance)][R.ENTERPRISE_ID].iloc[0]
    elsewhere = flagged[flagged[R.COUNTY] == "如皋市"][R.ENTERPRISE_ID].iloc[0]
    nothing = tongzhou[R.ENTERPRISE_ID].iloc[5]
    unflagged = ents[~R.flagged_mask(ents) & unique.to_numpy() & ents[R.ENTERPRISE_ID].notna().to_numpy()]
    cleared = unflagged[R.ENTERPRISE_ID].iloc[0]
    duplicated = ids[ids.duplicated()].iloc[0]
    path = tmp_path_factory.mktemp("notices") / "台账.sqlite"

    def decided(uscc, value, doc="通政决〔2026〕1号", unit=UNIT):
        return Entry("decision", uscc, "通州区工信局", value=value, doc_number=doc, issuing_unit=unit)

    with open_ledger(path) as ledger:
        ledger.append(
            [
                decided(per_law, "stop", doc="通政决〔2026〕0号"),
                decided(per_law, "per_law"),  # recorded later: the latest decision counts
                decided(rectify, "rectify", doc="通政决〔2026〕2号"),
                Entry("deadline", rectify, "通州区工信局", due_date="2026-07-31"),
                decided(elsewhere, "relocate", doc="皋政决〔2026〕3号", unit="如皋市人民政府"),
                decided(nothing, "none", doc="通政决〔2026〕4号"),
                decided(NOT_IN_RUN, "close", doc="通政决〔2026〕5号"),
                decided(cleared, "stop", doc="通政决〔2026〕6号"),
                decided(duplicated, "stop", doc="通政决〔2026〕7号"),
            ]
        )
    config = path.parent / "notices.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    parts = {"per_law": per_law, "rectify": rectify, "elsewhere": elsewhere, "nothing": nothing, "cleared": cleared}
    return result, path, config, parts | {"duplicated": duplicated}


def documents(zip_path: Path) -> dict[str, str]:
    """Every notice in a zip: member name -> the document's text, read back with python-docx."""
    with zipfile.ZipFile(zip_path) as zf:
        return {
            name: "\n".join(p.text for p in docx.Document(io.BytesIO(zf.read(name))).paragraphs)
            for name in zf.namelist()
        }


def facts(result, uscc):
    ents, hits = result.enterprises, result.hits
    row = ents[ents[R.ENTERPRISE_ID] == uscc].iloc[0]
    return row, hits[hits[R.INPUT_ROW] == row[R.INPUT_ROW]]


def assert_fields(text: str, row, hits, *, disposition: str, doc: str, unit: str) -> None:
    rules = load_rules()
    keys = R.standard_keys(row[R.STANDARDS_HIT])
    point = row.geometry if row.geometry.geom_type == "Point" else row.geometry.representative_point()
    for value in (row[R.NAME], row[R.ENTERPRISE_ID], row[R.COUNTY], row["address"], doc, unit, disposition):
        assert str(value) in text
    assert f"东经 {point.x:.6f}°，北纬 {point.y:.6f}°" in text  # the screened CGCS2000 location
    assert f"{float(row['经度']):.6f}" not in text  # never the registry's GCJ-02 input
    for key in keys:
        assert f"{seed_item(key)} {rules.standards[key].title}" in text
    for line in evidence_text(hits[hits["standard"].isin(keys)]):
        assert line in text
    for basis in hits.loc[hits["standard"].isin(keys), R.LEGAL_BASIS].dropna().unique():
        assert basis in text
    assert "陈述、申辩" in text and "3日内" in text
    assert "要求听证" in text and "5日内" in text
    assert "联系人：李四　联系电话：0513-86000000" in text
    assert "2026年2月1日" in text


def test_a_notice_per_decided_enterprise_zipped_per_county_with_every_field(case, tmp_path):
    result, path, config, parts = case
    with open_ledger(path) as ledger:
        done = write_notices(result, ledger, kind=NOTICE, out_dir=tmp_path, config=config, today=TODAY)
    assert sorted(p.name for p in done.zips) == ["如皋市_告知书.zip", "通州区_告知书.zip"]
    tongzhou = documents(tmp_path / "通州区_告知书.zip")
    assert sorted(tongzhou) == sorted(f"{parts[k]}_告知书.docx" for k in ("per_law", "rectify"))
    row, hits = facts(result, parts["per_law"])
    text = tongzhou[f"{parts['per_law']}_告知书.docx"]
    assert_fields(text, row, hits, disposition=disposition_label("per_law"), doc="通政决〔2026〕1号", unit=UNIT)
    assert "要求不小于" in text  # the distance against the required distance, in metres
    assert "通政决〔2026〕0号" not in text  # the earlier decision was superseded
    row, hits = facts(result, parts["elsewhere"])
    text = documents(tmp_path / "如皋市_告知书.zip")[f"{parts['elsewhere']}_告知书.docx"]
    assert_fields(
        text, row, hits, disposition=disposition_label("relocate"), doc="皋政决〔2026〕3号", unit="如皋市人民政府"
    )


def test_zips_of_an_earlier_round_of_the_same_kind_are_replaced_not_left_beside(case, tmp_path):
    result, path, config, _ = case
    (tmp_path / "海安市_告知书.zip").write_bytes(b"an earlier round")
    (tmp_path / "海安市_限期整改通知书.zip").write_bytes(b"another kind")
    (tmp_path / "说明.txt").write_text("the county's own file", encoding="utf-8")
    with open_ledger(path) as ledger:
        done = write_notices(result, ledger, kind=NOTICE, out_dir=tmp_path, config=config, today=TODAY)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "如皋市_告知书.zip", "海安市_限期整改通知书.zip", "说明.txt", "通州区_告知书.zip",
    ]  # fmt: skip
    assert "removed 海安市_告知书.zip" in done.text()


def test_what_gets_no_notice_is_reported_not_guessed(case, tmp_path):
    result, path, config, parts = case
    with open_ledger(path) as ledger:
        done = write_notices(result, ledger, kind=NOTICE, out_dir=tmp_path, config=config, today=TODAY)
    assert "not in this run" in done.skipped[NOT_IN_RUN]
    assert "rows with this USCC" in done.skipped[parts["duplicated"]]
    assert "flags no standard" in done.skipped[parts["cleared"]]
    assert "nothing to notify" in done.skipped[parts["nothing"]]
    flagged = set(result.enterprises.loc[R.flagged_mask(result.enterprises), R.ENTERPRISE_ID])
    assert set(done.not_decided) == flagged - {parts[k] for k in ("per_law", "rectify", "elsewhere", "nothing")} - {
        parts["duplicated"]
    }
    assert NOT_IN_RUN in done.text() and "no decision in the ledger" in done.text()


def test_a_rectification_notice_only_for_rectify_decisions_with_the_ledger_deadline(case, tmp_path):
    result, path, config, parts = case
    with open_ledger(path) as ledger:
        done = write_notices(result, ledger, kind=RECTIFICATION_NOTICE, out_dir=tmp_path, config=config, today=TODAY)
    assert done.written == {"通州区": [parts["rectify"]]}
    text = documents(tmp_path / "通州区_限期整改通知书.zip")[f"{parts['rectify']}_限期整改通知书.docx"]
    row, hits = facts(result, parts["rectify"])
    assert_fields(text, row, hits, disposition=disposition_label("rectify"), doc="通政决〔2026〕2号", unit=UNIT)
    assert "2026年7月31日前整改到位" in text
    assert "不超过3个月的延期申请" in text  # the seed's 二（五）
    assert "not " + disposition_label("rectify") in done.skipped[parts["per_law"]]


def test_a_rectify_decision_without_a_deadline_is_reported(case, tmp_path):
    result, path, config, parts = case
    copy = tmp_path / "台账.sqlite"
    shutil.copy(path, copy)
    with open_ledger(copy) as ledger:
        ledger.append([Entry("decision", parts["elsewhere"], "如皋市工信局", value="rectify", doc_number="皋政决8号")])
        done = write_notices(result, ledger, kind=RECTIFICATION_NOTICE, out_dir=tmp_path / "out", config=config)
    assert "no 整改期限" in done.skipped[parts["elsewhere"]]


def test_unset_settings_leave_blanks_and_are_reported(case, tmp_path):
    result, path, _, parts = case
    assert load_notice_config().unset() == ["issuing_unit", "contact", "statement_days", "hearing_days"]
    with open_ledger(path) as ledger:
        done = write_notices(result, ledger, kind=NOTICE, out_dir=tmp_path, today=TODAY)
    text = documents(tmp_path / "通州区_告知书.zip")[f"{parts['per_law']}_告知书.docx"]
    assert f"之日起{NOTICE_BLANK}日内" in text and f"联系方式：{NOTICE_BLANK}" in text
    assert "statement_days, hearing_days" in done.text()


def test_a_bad_notice_config_is_one_clear_message(tmp_path):
    bad = tmp_path / "n.yaml"
    bad.write_text("statement_day: 3\nhearing_days: -1\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"hearing_days: Input should be greater than 0.*statement_day: Extra.*allowed keys"
    ):
        load_notice_config(bad)


def own_template(folder: Path, kind: str, *, drop: str | None = None, mark: str = "通州区工信局专用格式") -> Path:
    """A county's template: the shipped one with a line added, and ``drop`` removed from it."""
    folder.mkdir(exist_ok=True)
    doc = docx.Document(TEMPLATES / f"{kind}.docx")
    doc.paragraphs[0].insert_paragraph_before(mark)
    for p in doc.paragraphs:
        if drop and drop in p.text:
            for run in p.runs:
                run.text = run.text.replace(f"{{{{ {drop} }}}}", "")
    doc.save(folder / f"{kind}.docx")
    return folder


def test_a_county_template_overrides_the_shipped_one(case, tmp_path):
    result, path, config, parts = case
    folder = own_template(tmp_path / "模板", NOTICE)
    with open_ledger(path) as ledger:
        done = write_notices(result, ledger, kind=NOTICE, out_dir=tmp_path / "out", templates=folder, config=config)
    assert done.template == folder / f"{NOTICE}.docx"
    texts = documents(tmp_path / "out" / "通州区_告知书.zip")
    assert len(texts) == 2
    assert all(text.startswith("通州区工信局专用格式") for text in texts.values())
    assert parts["per_law"] in texts[f"{parts['per_law']}_告知书.docx"]
    # the folder has no 限期整改通知书.docx: the shipped one is used
    with open_ledger(path) as ledger:
        done = write_notices(
            result, ledger, kind=RECTIFICATION_NOTICE, out_dir=tmp_path / "out", templates=folder, config=config
        )
    assert done.template == TEMPLATES / f"{RECTIFICATION_NOTICE}.docx"


def test_a_template_missing_a_field_is_one_message_and_exit_2(case, demo_run, tmp_path, capsys):
    result, path, config, _ = case
    folder = own_template(tmp_path / "模板", NOTICE, drop="contact")
    out = tmp_path / "out"
    with open_ledger(path) as ledger, pytest.raises(ConfigError, match=r"lacks the fields contact; add \{\{ contact"):
        write_notices(result, ledger, kind=NOTICE, out_dir=out, templates=folder)
    assert not out.exists()
    args = ["notices", str(demo_run), "--ledger", str(path), "--kind", NOTICE, "--out", str(out)]
    assert main([*args, "--templates", str(folder)]) == 2
    assert not out.exists()
    assert "lacks the fields contact" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content",
    [b"not a docx", None],
    ids=["not a .docx", "a broken placeholder"],
)
def test_a_template_that_is_not_a_docxtpl_template_is_one_message(case, tmp_path, content):
    result, path, _, _ = case
    folder = tmp_path / "模板"
    if content is None:
        own_template(folder, NOTICE, mark="{{ enterprise_name ")
    else:
        folder.mkdir()
        (folder / f"{NOTICE}.docx").write_bytes(content)
    with open_ledger(path) as ledger, pytest.raises(ConfigError, match=r"cannot be read as a docxtpl .docx template"):
        write_notices(result, ledger, kind=NOTICE, out_dir=tmp_path / "out", templates=folder)


def test_the_command_writes_the_zips_and_says_what_it_left_out(case, demo_run, tmp_path, capsys):
    _, path, config, _ = case
    out = tmp_path / "out"
    code = main(
        ["notices", str(demo_run), "--ledger", str(path), "--kind", NOTICE, "--out", str(out), "--config", str(config)]
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["如皋市_告知书.zip", "通州区_告知书.zip"]
    said = capsys.readouterr().out
    assert "告知书: 3 notices in 2 zip files" in said and NOT_IN_RUN in said


def test_the_shipped_templates_are_the_build_script_s_and_use_every_field(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, str(root / "scripts" / "build_notice_templates.py"), "--out", str(tmp_path)], check=True
    )
    for kind in REQUIRED_FIELDS:
        assert (tmp_path / f"{kind}.docx").read_bytes() == (TEMPLATES / f"{kind}.docx").read_bytes()


def test_a_corrected_earlier_decision_does_not_overtake_the_later_one(case, tmp_path):
    """A correction stands in the place of the decision it corrects, as for the facts and the published lists."""
    result, path, config, parts = case
    copy = tmp_path / "台账.sqlite"
    shutil.copy(path, copy)
    with open_ledger(copy) as ledger:
        first = min((e for e in ledger.entries(parts["per_law"]) if e.kind == "decision"), key=lambda e: e.seq)
        ledger.append(
            [
                Entry(
                    "decision",
                    parts["per_law"],
                    "通州区工信局",
                    value="close",
                    doc_number="通政决〔2026〕9号",
                    issuing_unit=UNIT,
                    corrects=first.seq,
                )
            ]
        )
        write_notices(result, ledger, kind=NOTICE, out_dir=tmp_path / "out", config=config, today=TODAY)
    text = documents(tmp_path / "out" / "通州区_告知书.zip")[f"{parts['per_law']}_告知书.docx"]
    assert "通政决〔2026〕1号" in text and "通政决〔2026〕9号" not in text
