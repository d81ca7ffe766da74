"""The enterprise card the map shows on click: facts, each standard's result with its evidence, the disposition.

>>> run = prepare(read_results("out/demo"))                   # doctest: +SKIP
>>> card = enterprise_card(run, "91320602MA1XXXXXXX")         # doctest: +SKIP
>>> card.disposition_zh, card.hits[0]["证据"]                  # doctest: +SKIP
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo_screen import results as R
from geo_screen.app.state import Run
from geo_screen.screening.rules import load_rules
from geo_screen.vocabulary import (
    DISPOSITION_ZH,
    RESULT_ZH,
    ROW_STATUS_ZH,
    column_label,
    grade_label,
    standard_label,
)


@dataclass
class Card:
    """Everything the page shows for one enterprise."""

    key: str
    name: str
    disposition: str
    disposition_zh: str
    colour: str
    legal_basis: str
    facts: pd.DataFrame  #: 项目, 内容
    standards: pd.DataFrame  #: 标准, 内容, 结果, 证据, 处置, 法律依据
    warnings: list[str]
    lonlat: tuple[float, float] | None
    reasons: list[str] = field(default_factory=list)  #: why each not-assessed standard was not assessed

    @property
    def hits(self) -> list[dict]:
        """The rows of :attr:`standards` that were hit."""
        return self.standards[self.standards["结果"] == RESULT_ZH[R.HIT]].to_dict("records")


def markdown_escape(text: object) -> str:
    """``text`` safe inside Streamlit markdown (names from user files may hold ``*``, ``[``, ``$``, ``:``...)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", str(text))


def _num(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(value) else value


def _blank(value) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) or str(value).strip() == ""


def _m(value) -> str:
    return f"{value:,.0f} 米" if abs(value) >= 10 else f"{value:,.1f} 米"


_ATTRIBUTE_ZH = {c: column_label(c) for c in (*R.ATTRIBUTE_COLUMNS, R.GRADE)}


def _where(hit: pd.Series) -> str:
    texts = [
        v if isinstance(v, str) else "" for v in (hit.get("feature_name"), hit.get("zone_label"), hit.get("category"))
    ]
    name, level = texts[0], texts[1] or texts[2]
    return f"{name}（{level}）" if name and level else (name or level)


def _hit_text(hit: pd.Series) -> str:
    margin, distance, required = _num(hit.get("margin_m")), _num(hit.get("distance_m")), _num(hit.get("required_m"))
    where = _where(hit)
    if hit["standard"] == "5" and distance is not None and required is not None:
        return f"{where}：距离 {_m(distance)}，要求不小于 {_m(required)}（相差 {_m(required - distance)}）"
    detail = hit["detail"] if isinstance(hit.get("detail"), str) and hit["detail"] else None
    if detail is not None:
        for col, zh in _ATTRIBUTE_ZH.items():
            detail = detail.replace(col, zh)
    if margin is not None:  # a zone: where it lies, then the law's note on the zone class when the rules give one
        return f"{where}：位于区内，距区域边界 {_m(margin)}" + (f"；{detail}" if detail else "")
    return detail or where or "触及"


def _clear_text(row: pd.Series, standard: str, status: str) -> str:
    if standard in ("3", "4", "9") and status != R.NOT_ASSESSED:
        margin = _num(row.get(R.margin_column(standard)))
        return f"区外，距最近区域边界 {_m(-margin)}" if margin is not None and margin < 0 else "检索范围内无相关区域"
    if standard == "5":
        required = _num(row.get(R.SANITARY_REQUIRED))
        nearest, who = _num(row.get(R.NEAREST_SENSITIVE_M)), row.get(R.NEAREST_SENSITIVE_NAME)
        if required is None:
            return "无卫生防护距离（行业标准或环评均未给出）"
        if nearest is None:
            return f"要求 {_m(required)}；检索范围内无敏感目标"
        return f"最近敏感目标 {who if isinstance(who, str) else ''} 距离 {_m(nearest)}，要求 {_m(required)}"
    if status == R.NOT_ASSESSED:
        return "缺少登记属性" if standard not in R.SPATIAL_STANDARDS else "缺少位置或图层"
    return ""


def _why_not_assessed(row: pd.Series, standard: str, rules) -> str:
    """Why ``standard`` was not assessed for ``row``: not in force, out of scope, no location, or the attributes
    the rule reads that the registry leaves blank."""
    rule = rules.standards.get(standard)
    issues = str(row.get(R.ISSUES) or "")
    if rule is not None and not rule.in_force:
        return "规则中该标准尚未施行" + (f"（{rule.in_force_note}）" if rule.in_force_note else "")
    if "industry_out_of_scope" in issues:
        return "行业不在规则适用范围内"
    if standard in R.SPATIAL_STANDARDS:
        geom = row.geometry
        if geom is None or geom.is_empty or row.get(R.ROW_STATUS) == R.STATUS_INVALID:
            return "无有效位置，无法做空间判定"
        if standard == "5" and _num(row.get(R.SANITARY_REQUIRED)) is None:
            return "无卫生防护距离（行业标准或环评均未给出）"
        return "图层包缺少该标准所需图层，或位置在图层范围之外"
    attributes = list(dict.fromkeys(c.attribute for c in rule.any_of)) if rule is not None else []
    blank = [a for a in attributes if _blank(row.get(a))]
    if blank:
        return "名录缺少「" + "」「".join(column_label(a) for a in blank) + "」，请补充后重新筛查"
    filled = "；".join(f"「{column_label(a)}」填为「{row.get(a)}」" for a in attributes)
    return f"登记属性无法判定（{filled}），请核对后重新筛查" if filled else "缺少登记属性"


def _near_edge(issues: str) -> list[str]:
    out = []
    for std, dist in re.findall(r"near_edge:(\w+)\(([\d.]+) m\)", issues or ""):
        out.append(f"{standard_label(std, form='short')}：距边界仅 {dist} 米，结果对位置误差敏感，建议现场核实")
    return out


def enterprise_card(run: Run, key: str, *, rules=None) -> Card | None:
    """The card of the enterprise with ``key``: facts, each standard's result with evidence, disposition.

    Parameters
    ----------
    run
        The prepared run.
    key
        The enterprise's key (:func:`geo_screen.app.mapview.enterprise_keys`).
    rules
        The rule set for the standards' titles (default: the run's recorded rules file, else the shipped one).

    Returns
    -------
    Card or None
        The card; None when the run has no enterprise with ``key``.
    """
    pos = run.key_index.get(key)
    if pos is None:
        return None
    ents, hits = run.enterprises, run.result.hits
    row = ents.iloc[pos]
    recorded = Path(str(run.result.manifest.get("rules", {}).get("path", "")))
    rules = rules or load_rules(recorded if recorded.is_file() else None)
    own = hits[hits[R.INPUT_ROW] == row[R.INPUT_ROW]] if len(hits) else hits
    rows, reasons = [], []
    for s in R.STANDARDS:
        status = row.get(R.std_column(s), R.NOT_ASSESSED)
        mine = own[own["standard"].astype(str) == s] if len(own) else own
        if status == R.HIT and len(mine):
            evidence = "；".join(_hit_text(h) for _, h in mine.iterrows())
            disp = "、".join(dict.fromkeys(DISPOSITION_ZH.get(d, d) for d in mine[R.DISPOSITION]))
            basis = "；".join(dict.fromkeys(str(b) for b in mine[R.LEGAL_BASIS] if isinstance(b, str)))
        elif status == R.NOT_ASSESSED:
            evidence, disp, basis = _why_not_assessed(row, s, rules), "", ""
            reasons.append(f"{standard_label(s, form='short')}：{evidence}")
        else:
            evidence, disp, basis = _clear_text(row, s, status), "", ""
        title = rules.standards[s].title if s in rules.standards else ""
        rows.append(
            {
                "标准": standard_label(s, form="short"),
                "内容": title,
                "结果": RESULT_ZH.get(status, status),
                "证据": evidence,
                "处置": disp,
                "法律依据": basis,
            }
        )
    geom = row.geometry
    point = None if geom is None or geom.is_empty else geom.representative_point()
    lonlat = None if point is None else (float(point.x), float(point.y))
    status_zh = ROW_STATUS_ZH.get(row.get(R.ROW_STATUS), row.get(R.ROW_STATUS))
    facts = [(column_label(c), row.get(c)) for c in (R.ENTERPRISE_ID, R.INDUSTRY, R.COUNTY, "address")]
    facts.append((column_label(R.GRADE), grade_label(row.get(R.GRADE), row.get(R.GRADE_SCORE), row.get(R.GRADE_RANK))))
    facts += [
        (column_label(R.ROW_STATUS), status_zh),
        (column_label(R.INPUT_ROW), row.get(R.INPUT_ROW)),
        ("位置（CGCS2000）", f"{lonlat[0]:.6f}, {lonlat[1]:.6f}" if lonlat else "无有效位置"),
    ]
    facts = pd.DataFrame([(k, "—" if _blank(v) else str(v)) for k, v in facts], columns=["项目", "内容"])
    code = row.get(R.DISPOSITION) or R.NOT_ASSESSED_DISPOSITION
    colour = run.styles.get(code, ("#999999",))[0]  # the run's rules order the severity colours
    return Card(
        key=key,
        name=str(row.get(R.NAME) or "（无名称）"),
        disposition=code,
        disposition_zh=DISPOSITION_ZH.get(code, code),
        colour=colour,
        legal_basis=str(row.get(R.LEGAL_BASIS) or ""),
        facts=facts,
        standards=pd.DataFrame(rows),
        warnings=_near_edge(str(row.get(R.ISSUES) or "")),
        lonlat=lonlat,
        reasons=reasons,
    )


def card_header_html(card: Card) -> str:
    """The card's title line: the name and a badge in the disposition's map colour (text HTML-escaped)."""
    dark = card.disposition in ("close", "relocate", "demolish", "eliminate")  # the ramp's dark end
    return (
        f'<div style="font-size:1.25rem;font-weight:600;line-height:1.35">{html.escape(card.name)}</div>'
        f'<span style="display:inline-block;margin-top:4px;padding:2px 10px;border-radius:10px;'
        f'background:{card.colour};color:{"#fff" if dark else "#222"};border:1px solid #777;font-size:0.9rem">'
        f"{html.escape(card.disposition_zh)}</span>"
    )
