"""The lists the seed publishes (三（四）, 附件3第17-18项), built from the ledger's decisions, never from proposals.

* 年度落后产能退出企业名单: the latest decision is 关闭取缔, 淘汰 or 拆除, with the equipment (设备（生产线）) and
  capacity (产能) the registry gives;
* 不达标应限期整改的企业名单: the latest decision is 停产整治, 转型 or 限期整改, with its deadline;
* 经整改仍不达标已依法关闭的企业名单: the latest decision is 关闭取缔 after a rectification (an earlier
  rectification decision, a deadline or a finding of 整改不到位 still in force).

Only the entries in force count (:func:`~geo_screen.ledger.entries.in_force`: a correction replaces the entry it
names, in its place); of those, each enterprise's latest decision decides its list. Each row gives the
decision's document number (文号) and issuing unit. The enterprise's name, county and registry columns come from
the screening run (涉及标准 only from the decision entry naming a standard, never from the screening); an
enterprise decided but not in the run is listed with its USCC and a remark. The names
of individual businesses (个体工商户) are masked as in every list (``张**``).

The publication's metadata (publishing unit, year, period, objection channel and time limit, contact, which
lists, and optionally the period the decisions were recorded in) is a small YAML file validated by
:class:`Publication`; :data:`EXAMPLE_PUBLICATION` is a shipped example.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from geo_screen import results as R
from geo_screen.errors import ConfigError
from geo_screen.ledger.entries import DEADLINE, DECISION, FINDING, Entry, in_force
from geo_screen.ledger.store import Ledger
from geo_screen.outputs.citylists import mask_individual_names
from geo_screen.outputs.provenance import LOCAL_TZ, local_time
from geo_screen.outputs.sheets import write_workbook
from geo_screen.vocabulary import (
    DECIDED_LIST_COLUMNS,
    DECIDED_LISTS,
    DISPOSITION_ZH,
    EMPTY_LIST_ZH,
    MISSING_ZH,
    NOT_IN_RUN_ZH,
    NOT_RECTIFIED,
    DecidedList,
    column_label,
    standard_label,
)
from geo_screen.yamlfile import load_model

#: the publication file shipped as an example (copy it and fill in your own)
EXAMPLE_PUBLICATION = Path(__file__).with_name("publication_example.yaml")
#: registry headers read as the equipment (设备（生产线）) and capacity (产能) of an exit list's row, unless the
#: publication file names the columns
EQUIPMENT_HEADERS = ("设备（生产线）", "设备(生产线)", "退出设备", "设备", "生产线")
CAPACITY_HEADERS = ("产能", "退出产能", "年产能")
_RECTIFYING = next(lst.dispositions for lst in DECIDED_LISTS if lst.key == "rectify")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Objection(BaseModel):
    """Where and how long the public may object to a list (异议渠道、时限)."""

    model_config = ConfigDict(extra="forbid")
    channel: Text  #: where objections go: an address, an e-mail, a telephone line
    days: int = Field(gt=0, le=365)  #: days from publication in which an objection is accepted


class Publication(BaseModel):
    """The metadata printed above each published list, and which lists to write."""

    model_config = ConfigDict(extra="forbid")
    publisher: Text  #: the publishing unit (发布单位)
    year: int = Field(ge=2017, le=2100)
    period: Text  #: the period the lists cover, as printed
    objection: Objection
    contact: Text  #: 联系方式
    lists: tuple[Literal["exit", "rectify", "closed"], ...] = ("exit", "rectify", "closed")
    decided_from: date | None = None  #: only decisions recorded on or after this day (Beijing)
    decided_to: date | None = None  #: only decisions recorded on or before this day (Beijing)
    equipment_column: Text | None = None  #: the registry column holding the equipment (default: a known header)
    capacity_column: Text | None = None  #: the registry column holding the capacity (default: a known header)


def load_publication(path: str | os.PathLike) -> Publication:
    """Read and validate a publication file.

    Raises
    ------
    ConfigError
        Naming the file and each field that is missing, unknown or wrong.
    """
    return load_model(
        path,
        Publication,
        what="publication file",
        missing=f"copy {EXAMPLE_PUBLICATION.name} (shipped in geo_screen/ledger) and fill it in",
    )


def _recorded_on(entry: Entry) -> date | None:
    try:
        return datetime.fromisoformat(entry.recorded_at).astimezone(LOCAL_TZ).date() if entry.recorded_at else None
    except ValueError:
        return None


def decided_cases(entries: list[Entry], *, publication: Publication) -> pd.DataFrame:
    """One row per enterprise whose latest decision in force was recorded in the publication's period.

    Returns
    -------
    pandas.DataFrame
        ``enterprise_id``, ``decision`` (code), ``doc``, ``unit``, ``standard``, ``due`` (the latest deadline in
        force), ``earlier_doc`` (the latest rectification decision before it), ``rectified_before`` (an earlier
        rectification decision, deadline or finding of 整改不到位 in force).
    """
    cases: dict[str, dict] = {}
    for entry in in_force(entries):
        case = cases.setdefault(
            entry.enterprise_id, {"decision": None, "due": None, "earlier_doc": None, "seen": False}
        )
        if entry.kind == DECISION:
            if case["decision"] in _RECTIFYING:
                case["seen"], case["earlier_doc"] = True, case["doc"]
            case |= {
                "decision": entry.value,
                "doc": entry.doc_number,
                "unit": entry.issuing_unit,
                "standard": entry.standard,
                "on": _recorded_on(entry),
                "rectified_before": case["seen"],  # a rectification before this decision
            }
        elif entry.kind == DEADLINE:
            case["due"], case["seen"] = entry.due_date, True
        elif entry.kind == FINDING and entry.value == NOT_RECTIFIED:
            case["seen"] = True
    rows = [{R.ENTERPRISE_ID: k, **v} for k, v in cases.items() if v["decision"] is not None]  # "seen" dropped
    frame = pd.DataFrame(
        rows,
        columns=[R.ENTERPRISE_ID, "decision", "doc", "unit", "standard", "on", "due", "earlier_doc"]
        + ["rectified_before"],
    )
    on = frame["on"]
    keep = np.ones(len(frame), dtype=bool)
    if publication.decided_from is not None:
        keep &= on.map(lambda d: d is not None and d >= publication.decided_from).to_numpy(dtype=bool)
    if publication.decided_to is not None:
        keep &= on.map(lambda d: d is not None and d <= publication.decided_to).to_numpy(dtype=bool)
    return frame[keep].reset_index(drop=True)


def _registry_column(ents: pd.DataFrame, named: str | None, headers: tuple[str, ...]) -> pd.Series:
    if named is not None:
        if named not in ents.columns:
            raise ConfigError(
                f"the publication file names registry column {named!r}, which the run does not hold; the run's "
                f"columns: {', '.join(map(str, ents.columns[:40]))}"
            )
        return ents[named]
    found = next((c for c in headers if c in ents.columns), None)
    return ents[found] if found else pd.Series(None, index=ents.index, dtype=object)


def _list_frame(cases: pd.DataFrame, lst: DecidedList, ents: pd.DataFrame, publication: Publication):
    chosen = cases[cases["decision"].isin(lst.dispositions)]
    if lst.key == "closed":
        chosen = chosen[chosen["rectified_before"].astype(bool)]
    known = ents.drop_duplicates(R.ENTERPRISE_ID).set_index(R.ENTERPRISE_ID)  # an id listed twice: its first row
    found = chosen[R.ENTERPRISE_ID].isin(known.index).to_numpy()
    info = known.reindex(chosen[R.ENTERPRISE_ID])
    name = mask_individual_names(info[R.NAME].astype(object), pd.Series(chosen[R.ENTERPRISE_ID].to_numpy()))
    W = DECIDED_LIST_COLUMNS
    out = pd.DataFrame(
        {
            column_label(R.COUNTY): info[R.COUNTY].fillna(MISSING_ZH).to_numpy(),
            column_label(R.NAME): name.fillna(MISSING_ZH).to_numpy(),
            column_label(R.ENTERPRISE_ID): chosen[R.ENTERPRISE_ID].to_numpy(),
            W["decision"]: chosen["decision"].map(DISPOSITION_ZH).to_numpy(),
            W["doc"]: chosen["doc"].to_numpy(),
            W["unit"]: chosen["unit"].to_numpy(),
            W["standards"]: [standard_label(s, form="topic") if isinstance(s, str) else "" for s in chosen["standard"]],
        }
    )
    if lst.key == "exit":
        for key, named, headers in (
            ("equipment", publication.equipment_column, EQUIPMENT_HEADERS),
            ("capacity", publication.capacity_column, CAPACITY_HEADERS),
        ):
            out[W[key]] = _registry_column(known, named, headers).reindex(
                chosen[R.ENTERPRISE_ID]
            ).to_numpy() if len(chosen) else []  # fmt: skip
    else:
        out[W["due"]] = chosen["due"].to_numpy()
        if lst.key == "closed":
            out[W["earlier_doc"]] = chosen["earlier_doc"].to_numpy()
    out[W["remark"]] = np.where(found, "", NOT_IN_RUN_ZH)
    out = out.sort_values([column_label(R.COUNTY), column_label(R.ENTERPRISE_ID)], kind="stable")
    out.insert(0, "序号", np.arange(1, len(out) + 1))
    return out.reset_index(drop=True)


def decided_lists(
    result: R.ScreenResult | str | os.PathLike, ledger: Ledger, *, publication: Publication
) -> dict[str, pd.DataFrame]:
    """The published lists the publication asks for: list name -> table (Chinese headers, by county).

    Parameters
    ----------
    result
        The screening run (its folder or result) giving each enterprise's name, county and registry columns.
    ledger
        The open ledger; only its decisions (the latest in force per enterprise) put an enterprise on a list.
    publication
        :func:`load_publication`'s model: which lists, which period of decisions, which registry columns.
    """
    ents = R.load_result(result).enterprises
    ents = ents.assign(**{R.ENTERPRISE_ID: ents[R.ENTERPRISE_ID].astype("string").str.strip()})
    cases = decided_cases(ledger.entries(), publication=publication)
    return {
        lst.sheet: _list_frame(cases, lst, ents, publication) for lst in DECIDED_LISTS if lst.key in publication.lists
    }


def list_title(lst: DecidedList, publication: Publication) -> str:
    """``2026年度落后产能退出企业名单``, ``2026年不达标应限期整改的企业名单``."""
    return f"{publication.year}{'' if lst.sheet.startswith('年') else '年'}{lst.sheet}"


def _note(lst: DecidedList, table: pd.DataFrame, publication: Publication) -> str:
    o = publication.objection
    lines = [
        list_title(lst, publication),
        f"发布单位：{publication.publisher}；期间：{publication.period}；企业 {len(table)} 家。",
        f"依据：通政办发〔2017〕179号 {lst.asks}。"
        "名单依据有批准权的人民政府（主管部门）的处置决定，不含筛查的初筛建议。",
        f"异议：自公布之日起 {o.days}日 内可通过以下渠道提出：{o.channel}。联系方式：{publication.contact}",
        f"个体工商户名称已隐去。生成于 {local_time()}。",
    ]
    if not len(table):
        lines.insert(1, EMPTY_LIST_ZH)
    return "\n".join(lines)


def write_lists(
    result: R.ScreenResult | str | os.PathLike,
    ledger: Ledger,
    *,
    publication: Publication,
    out_dir: str | os.PathLike,
) -> dict[Path, int]:
    """Write each list of :func:`decided_lists` as ``<title>.xlsx``: the title and metadata above the table.

    A list no decided enterprise is on is written too, empty, its second line saying so.

    Returns
    -------
    dict
        Each file written (in the order of :data:`geo_screen.vocabulary.DECIDED_LISTS`) -> enterprises on it.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = decided_lists(result, ledger, publication=publication)
    written = {}
    for lst in DECIDED_LISTS:
        if lst.sheet not in tables:
            continue
        title = list_title(lst, publication)
        path = out / f"{title}.xlsx"
        note = _note(lst, tables[lst.sheet], publication)
        write_workbook(path, {lst.sheet: tables[lst.sheet]}, notes={lst.sheet: note}, landscape=True, title=title)
        written[path] = len(tables[lst.sheet])
    return written
