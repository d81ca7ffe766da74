"""Notices to enterprises from the ledger's decisions: one .docx per enterprise, zipped per county.

Two kinds (:data:`geo_screen.vocabulary.NOTICE_KINDS`), each selected from the **latest** decision entry the
ledger holds for the enterprise (a correction, recorded later, wins):

* ``告知书``: every enterprise whose latest decision is a disposition (any decision but 无, which decides
  nothing to notify);
* ``限期整改通知书``: every enterprise whose latest decision is 限期整改 (``rectify``), with the deadline of
  its latest 整改期限 entry (an enterprise with no deadline in the ledger gets none, and is reported).

The facts come from the screening run the notices are made from: the enterprise (name, USCC, county, address),
its screened CGCS2000 location (the run's geometry, never the registry's GCJ-02/BD-09 input), each standard it
hits in the seed's words (the item and the rules' title), the evidence lines (zone, distance against the
required distance), and the legal bases the rules gave those hits. The decision's disposition, 文号 and 发文单位
come from the ledger; the contact line and the time limits for 陈述、申辩 and 听证 from a small config
(``templates/notices.yaml``: the limits are not in the project's sources, so they are settings, blank until set).

Templates are .docx files filled by docxtpl (``templates/<kind>.docx``, built by
``scripts/build_notice_templates.py``); a county's folder holding a file of the same name overrides it, and a
template lacking a field is refused before anything is written. Nothing is written for an enterprise without a
decision, one the run does not hold, one the run holds twice, or one the run does not flag: each is reported.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, PositiveInt

from geo_screen import results as R
from geo_screen.errors import ConfigError, ExportError
from geo_screen.ledger.entries import DEADLINE, DECISION, Entry, in_force
from geo_screen.ledger.store import Ledger
from geo_screen.outputs.evidence import evidence_text
from geo_screen.outputs.packages import safe_file_stem
from geo_screen.outputs.provenance import LOCAL_TZ
from geo_screen.screening.rules import RuleSet, load_rules
from geo_screen.vocabulary import NOTICE_BLANK, NOTICE_KINDS, disposition_label, seed_item
from geo_screen.yamlfile import load_model

NOTICE, RECTIFICATION_NOTICE = NOTICE_KINDS
#: the shipped templates and notice config
TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_CONFIG = TEMPLATES / "notices.yaml"
#: the decision a 限期整改通知书 is written for
RECTIFY = "rectify"
#: the fields every notice template must use (``{{ field }}``, or ``{%p for line in field %}`` for the lists)
FIELDS = (
    "issuing_unit",
    "doc_number",
    "enterprise_name",
    "uscc",
    "county",
    "address",
    "location",
    "standards",
    "evidence",
    "legal_bases",
    "disposition",
    "statement_days",
    "hearing_days",
    "contact",
    "issued_on",
    "run_id",
)
REQUIRED_FIELDS = {NOTICE: FIELDS, RECTIFICATION_NOTICE: (*FIELDS, "deadline")}


class NoticeConfig(BaseModel):
    """The notice settings (``templates/notices.yaml`` says what each is); None leaves a blank in the notice."""

    model_config = ConfigDict(extra="forbid")

    issuing_unit: str | None = None
    contact: str | None = None
    statement_days: PositiveInt | None = None
    hearing_days: PositiveInt | None = None

    def unset(self) -> list[str]:
        """The settings left empty (each a blank line in every notice)."""
        return [name for name, value in self.model_dump().items() if value is None]


def load_notice_config(path: str | os.PathLike | None = None) -> NoticeConfig:
    """The notice settings of ``path`` (default: the shipped ``notices.yaml``, every value empty).

    Raises
    ------
    ConfigError
        Naming the file and each bad key, with what it allows.
    """
    return load_model(
        path or DEFAULT_CONFIG, NoticeConfig, what="notice config", missing=f"copy {DEFAULT_CONFIG} and pass the copy"
    )


def template_path(kind: str, templates: str | os.PathLike | None = None) -> Path:
    """The template of ``kind``: ``<templates>/<kind>.docx`` when the county's folder has it, else the shipped one."""
    _check_kind(kind)
    own = Path(templates) / f"{kind}.docx" if templates else None
    if templates and not Path(templates).is_dir():
        raise ConfigError(f"template folder {templates} does not exist; give a folder holding {kind}.docx")
    return own if own is not None and own.is_file() else TEMPLATES / f"{kind}.docx"


def checked_template(kind: str, path: Path):
    """The docxtpl template at ``path``, once it uses every field a ``kind`` notice needs.

    Raises
    ------
    ConfigError
        When the file is not a .docx template or lacks fields (named, with how to add them).
    """
    from docx.opc.exceptions import OpcError
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError

    try:
        found = DocxTemplate(path).get_undeclared_template_variables()
    except (OpcError, TemplateError, zipfile.BadZipFile, KeyError, ValueError) as err:
        raise ConfigError(f"notice template {path} cannot be read as a docxtpl .docx template: {err}") from err
    missing = [f for f in REQUIRED_FIELDS[kind] if f not in found]
    if missing:
        raise ConfigError(
            f"notice template {path} lacks the fields {', '.join(missing)}; add "
            + ", ".join(f"{{{{ {f} }}}}" for f in missing)
            + " to it (a list: {%p for line in FIELD %}{{ line }}{%p endfor %}), "
            + f"or remove it to use the shipped {TEMPLATES / (kind + '.docx')}"
        )
    return path


@dataclass
class Notices:
    """What :func:`write_notices` wrote and what it left out, with the reason for each."""

    kind: str
    template: Path
    zips: list[Path] = field(default_factory=list)
    written: dict[str, list[str]] = field(default_factory=dict)  #: county -> USCCs
    skipped: dict[str, str] = field(default_factory=dict)  #: USCC -> why no notice
    not_decided: list[str] = field(default_factory=list)  #: flagged in the run, no decision in the ledger
    unset: list[str] = field(default_factory=list)  #: notice settings left blank
    removed: list[str] = field(default_factory=list)  #: zips of this kind an earlier round left in the folder

    def text(self) -> str:
        n = sum(len(v) for v in self.written.values())
        lines = [f"{self.kind}: {n:,} notices in {len(self.zips)} zip files (template {self.template})"]
        lines += [f"  {county}: {len(ids):,}" for county, ids in self.written.items()]
        if self.not_decided:
            shown = ", ".join(self.not_decided[:5]) + (" …" if len(self.not_decided) > 5 else "")
            lines.append(
                f"no decision in the ledger, no notice: {len(self.not_decided):,} flagged enterprises ({shown})"
            )
        lines += [f"no notice for {uscc}: {why}" for uscc, why in self.skipped.items()]
        lines += [f"removed {name}: an earlier round's notices of this kind" for name in self.removed]
        if self.unset:
            lines.append(f"notice settings not given, left blank in every notice: {', '.join(self.unset)} (--config)")
        return "\n".join(lines)


def _check_kind(kind: str) -> None:
    if kind not in NOTICE_KINDS:
        raise ConfigError(f"notice kind {kind!r} is not one of {' / '.join(NOTICE_KINDS)}")


def latest_decisions(entries: Sequence[Entry]) -> dict[str, tuple[Entry, Entry | None]]:
    """Each enterprise's latest decision entry and latest deadline entry (None when it has none) among the entries
    in force (:func:`~geo_screen.ledger.entries.in_force`: a correction stands in the place of what it corrects)."""
    decisions: dict[str, Entry] = {}
    deadlines: dict[str, Entry] = {}
    for entry in in_force(list(entries)):
        if entry.kind == DECISION:
            decisions[entry.enterprise_id] = entry
        elif entry.kind == DEADLINE:
            deadlines[entry.enterprise_id] = entry
    return {eid: (d, deadlines.get(eid)) for eid, d in decisions.items()}


def _selects(kind: str, decision: Entry, deadline: Entry | None) -> str | None:
    """Why ``kind`` is not written for this decision (None: it is)."""
    if kind == NOTICE and decision.value == R.NO_DISPOSITION:
        return f"the latest decision (#{decision.seq}) is {disposition_label(R.NO_DISPOSITION)}: nothing to notify"
    if kind == RECTIFICATION_NOTICE:
        if decision.value != RECTIFY:
            decided = disposition_label(decision.value)
            return f"the latest decision (#{decision.seq}) is {decided}, not {disposition_label(RECTIFY)}"
        if deadline is None:
            return (
                f"decided {disposition_label(RECTIFY)} (#{decision.seq}) but the ledger holds no 整改期限: record one"
            )
    return None


def _day(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"


def _text(value) -> str:
    return NOTICE_BLANK if value is None or pd.isna(value) or not str(value).strip() else str(value).strip()


def _location(geom) -> str:
    if geom is None or geom.is_empty:
        return NOTICE_BLANK
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    return f"东经 {point.x:.6f}°，北纬 {point.y:.6f}°"


def notice_context(
    row: pd.Series,
    hits: pd.DataFrame,
    decision: Entry,
    deadline: Entry | None,
    *,
    rules: RuleSet,
    config: NoticeConfig,
    run_id: str | None,
    today: date,
) -> dict:
    """The fields of one enterprise's notice (:data:`REQUIRED_FIELDS`), from its run row, hits and ledger entries."""
    keys = R.standard_keys(row[R.STANDARDS_HIT])
    mine = hits[hits["standard"].astype(str).isin(keys)]
    order = mine["standard"].astype(str).map({k: i for i, k in enumerate(keys)}).to_numpy()
    mine = mine.iloc[np.argsort(order, kind="stable")]  # in the order of standards_hit
    bases = list(dict.fromkeys(b for b in mine[R.LEGAL_BASIS].dropna().astype(str) if b))
    bases += [
        rules.standards[k].legal_basis for k in keys if k in rules.standards and not (mine["standard"] == k).any()
    ]
    return {
        "issuing_unit": _text(decision.issuing_unit or config.issuing_unit),
        "doc_number": _text(decision.doc_number),
        "enterprise_name": _text(row.get(R.NAME)),
        "uscc": decision.enterprise_id,
        "county": _text(row.get(R.COUNTY)),
        "address": _text(row.get("address")),
        "location": _location(row.geometry),
        "standards": [
            f"{seed_item(k)} {rules.standards[k].title}" if k in rules.standards else seed_item(k) for k in keys
        ],
        "evidence": list(evidence_text(mine)) if len(mine) else [NOTICE_BLANK],
        "legal_bases": bases,
        "disposition": disposition_label(decision.value),
        "deadline": _day(deadline.due_date) if deadline is not None else NOTICE_BLANK,
        "statement_days": _text(config.statement_days),
        "hearing_days": _text(config.hearing_days),
        "contact": _text(config.contact),
        "issued_on": _day(today.isoformat()),
        "run_id": _text(run_id),
    }


def render_notice(template: Path, context: dict) -> bytes:
    """One notice: ``template`` filled with ``context``, as .docx bytes."""
    from docxtpl import DocxTemplate

    doc = DocxTemplate(template)
    doc.render(context, autoescape=True)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def write_notices(
    results: R.ScreenResult | str | os.PathLike,
    ledger: Ledger,
    *,
    kind: str,
    out_dir: str | os.PathLike,
    templates: str | os.PathLike | None = None,
    config: str | os.PathLike | NoticeConfig | None = None,
    rules: str | os.PathLike | None = None,
    today: date | None = None,
) -> Notices:
    """Write one ``kind`` notice per enterprise the ledger decided on, zipped as ``<county>_<kind>.zip``.

    Parameters
    ----------
    results
        The screening run the notices state the facts of (its folder or ``results.gpkg``, or the result).
    ledger
        The open ledger holding the decisions (:func:`~geo_screen.ledger.store.open_ledger`).
    kind
        ``告知书`` (every latest decision but 无) or ``限期整改通知书`` (latest decision 限期整改, with its deadline).
    out_dir
        Where the zips go (created). The folder holds one round of each kind: ``<county>_<kind>.zip`` files of
        this kind from an earlier round are replaced or, for a county with no notice now, removed (and reported).
    templates
        A county's folder of templates; its ``<kind>.docx`` overrides the shipped one.
    config
        The notice settings (a YAML file like ``templates/notices.yaml``, or the model); default: all blank.
    rules
        The rules file the standards' titles and bases are read from (default: the run's, else the shipped one).
    today
        The notices' date (default: today in Beijing).

    Returns
    -------
    Notices
        The zips written, the enterprises in each, and every enterprise left out with the reason.

    Raises
    ------
    ConfigError
        An unknown kind, a template lacking a field, a bad notice config: nothing is written.
    """
    _check_kind(kind)
    template = checked_template(kind, template_path(kind, templates))
    settings = config if isinstance(config, NoticeConfig) else load_notice_config(config)
    result = R.load_result(results)
    run_rules = (result.manifest.get("rules") or {}).get("path")
    rule_set = load_rules(rules or (run_rules if run_rules and Path(run_rules).is_file() else None))
    today = today or datetime.now(LOCAL_TZ).date()
    ents, hits = result.enterprises, result.hits
    ids = ents[R.ENTERPRISE_ID].astype("string")
    counts = ids.value_counts()
    decided = latest_decisions(ledger.entries())
    done = Notices(kind, template, unset=settings.unset())
    flagged = R.flagged_mask(ents)
    done.not_decided = sorted(set(ids[flagged].dropna()) - set(decided))
    docs: dict[str, list[tuple[str, bytes]]] = {}
    for uscc, (decision, deadline) in sorted(decided.items()):
        why = _selects(kind, decision, deadline)
        if why is None and uscc not in counts.index:
            why = "in the ledger but not in this run: screen it, or make the notices from the run that holds it"
        elif why is None and counts[uscc] > 1:
            why = f"the run holds {counts[uscc]} rows with this USCC: correct the registry; not guessed"
        if why is None:
            row = ents.loc[(ids == uscc).to_numpy()].iloc[0]
            if not R.standard_keys(row[R.STANDARDS_HIT]):
                why = (
                    "this run flags no standard for it (nothing to cite): make the notice from the run that flagged it"
                )
        if why is not None:
            done.skipped[uscc] = why
            continue
        context = notice_context(
            row, hits[hits[R.INPUT_ROW] == row[R.INPUT_ROW]], decision, deadline, rules=rule_set, config=settings,
            run_id=result.manifest.get("run_id"), today=today,
        )  # fmt: skip
        docs.setdefault(safe_file_stem(row.get(R.COUNTY)), []).append((uscc, render_notice(template, context)))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for county, items in sorted(docs.items()):
        path = out / f"{county}_{kind}.zip"
        _write_zip(path, [(f"{safe_file_stem(uscc)}_{kind}.docx", data) for uscc, data in items])
        done.zips.append(path)
        done.written[county] = [uscc for uscc, _ in items]
    for earlier in sorted(out.glob(f"*_{kind}.zip")):
        if earlier not in done.zips:
            earlier.unlink()
            done.removed.append(earlier.name)
    return done


def _write_zip(path: Path, members: list[tuple[str, bytes]]) -> None:
    """Write ``path`` whole or not at all (a partial file is never left under the final name)."""
    part = path.with_name(path.name + ".part")
    try:
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members:
                zf.writestr(name, data)
        os.replace(part, path)
    except OSError as err:
        part.unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {err}; check the folder is writable") from err
