"""Reading the ledger back: one enterprise's history as lines an official can read."""

from __future__ import annotations

from collections.abc import Sequence

from geo_screen.ledger.entries import DECISION, Entry
from geo_screen.outputs.provenance import local_time
from geo_screen.vocabulary import LEDGER_KIND_ZH, disposition_label, standard_label


def entry_line(entry: Entry) -> str:
    """One entry as a line: ``#3 2025-03-01 09:00:00（北京时间） 核查结论 标准3：属实 … 记录人 张三``."""
    value = disposition_label(entry.value) if entry.kind == DECISION and entry.value else entry.value
    parts = [f"#{entry.seq}", local_time(entry.recorded_at), LEDGER_KIND_ZH.get(entry.kind, entry.kind)]
    subject = f"{standard_label(entry.standard)}：" if entry.standard else ""
    if value:
        parts.append(subject + value)
    elif subject:
        parts.append(subject.rstrip("："))
    details = [
        ("文号", entry.doc_number),
        ("发文单位", entry.issuing_unit),
        ("整改期限", entry.due_date),
        ("更正位置", f"{entry.lon:.6f}, {entry.lat:.6f}" if entry.lon is not None and entry.lat is not None else None),
        ("说明", entry.note),
        ("核查人", entry.inspector),
        ("核查日期", entry.checked_on),
        ("更正第", f"{entry.corrects} 条" if entry.corrects is not None else None),
        ("记录人", entry.recorded_by),
        ("筛查批次", entry.run_id),
        ("来源", f"{entry.source_file} 第 {entry.source_row} 行" if entry.source_file else None),
    ]
    parts += [f"{k} {v}" for k, v in details if v]
    return "  ".join(parts)


def history_text(enterprise_id: str, entries: Sequence[Entry]) -> str:
    """One enterprise's entries, oldest first, under a heading; says so when there are none."""
    if not entries:
        return f"{enterprise_id}：台账中没有记录 (no ledger entries)"
    return "\n".join([f"{enterprise_id}：{len(entries)} 条台账记录", *(entry_line(e) for e in entries)])
