"""The words of the on-site checklist (现场核查表, 待补充资料) and of the verification ledger it fills."""

from __future__ import annotations

from geo_screen import results as R
from geo_screen.vocabulary.codes import DISPOSITIONS, RESULT_ZH

# --------------------------------------------------------------------------- the on-site checklist's words
CHECKLIST_SHEET = "现场核查表"
PENDING_SHEET = "待补充资料"
EVIDENCE_HEADER = "证据"
STANDARDS_HEADER = "触及标准（附件2）"
PROPOSAL_HEADER = "初筛建议"
ESCALATION_HEADER = "逾期处置"
CHECK_BASIS_HEADER = "核查依据"
NOT_ASSESSED_HEADER = f"{RESULT_ZH[R.NOT_ASSESSED]}标准及原因"
NOTES_HEADER = "提示（近边界、数据问题）"
VERDICT = "核查结论"
#: the inspector's fixed choices for 核查结论 (an Excel drop-down list)
VERDICTS = ("属实", "不属实", "已整改到位", "整改不到位", "难以整治到位", "位置有误")
#: each finding by name (a screening given the ledger acts on 不属实, 已整改到位, 整改不到位 and 位置有误)
FOUND_TRUE, FOUND_UNTRUE, RECTIFIED, NOT_RECTIFIED, BEYOND_REPAIR, WRONG_PLACE = VERDICTS
#: the ``verification`` of an enterprise the ledger has no finding for
UNVERIFIED = "未核实"
#: columns the inspector fills in on site, in order
CHECK_COLUMNS = [VERDICT, "核查情况说明", "核查人", "日期", "企业确认（签字）"]
#: the columns of the 待补充资料 sheet filled in when the data arrives
PENDING_COLUMNS = ["补充情况", "核查人", "日期"]
#: columns the county fills in once the competent authority has decided (optional; read by ``geo-screen verify``)
DECISION_HEADER = "决定处置"
DECISION_COLUMNS = [DECISION_HEADER, "决定文号", "发文单位", "整改期限", "更正经度", "更正纬度"]
#: what 决定处置 may say: a disposition's label (the drop-down), most severe first; not assessed is no decision
DECISION_CHOICES = tuple(t.zh for t in DISPOSITIONS if t.code != R.NOT_ASSESSED_DISPOSITION)
#: the column naming the screening run a checklist came from (``run.json`` ``run_id``)
RUN_ID_HEADER = "筛查批次"
#: what the ledger said when the run was screened (``screen --ledger``), shown on the checklist before the
#: inspector's columns: named apart from the columns filled in on site (核查结论, 决定处置 ...), which stay empty
LEDGER_STATE_HEADERS = {
    R.VERIFICATION: "台账核查结论",
    R.DECIDED_DISPOSITION: "台账决定处置",
    R.DECISION_DOC: "台账决定文号",
    R.DUE_DATE: "台账整改期限",
    R.OVERDUE: "逾期未整改",
}

# --------------------------------------------------------------------------- the verification ledger's words
#: how each kind of ledger entry reads
LEDGER_KIND_ZH = {
    "finding": VERDICT,
    "decision": "处置决定",
    "deadline": "整改期限",
    "location_fix": "位置更正",
    "note": "备注",
}
