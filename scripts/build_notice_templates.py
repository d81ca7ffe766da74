"""Build the notice templates shipped in ``geo_screen/ledger/templates/`` (告知书.docx, 限期整改通知书.docx).

    python scripts/build_notice_templates.py [--out DIR]

Each template is a plain A4 document written with python-docx whose ``{{ field }}`` placeholders and
``{%p for ... %}`` loops docxtpl fills in (``geo_screen.ledger.notices``). The output is byte-for-byte the same
on every run (fixed document properties and zip timestamps), so ``tests/ledger/test_notices.py`` can hold the
shipped files to this script. A county replaces a template by a .docx of the same name in its own folder
(``geo-screen notices --templates DIR``) carrying the same fields.
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from geo_screen.ledger.notices import NOTICE, RECTIFICATION_NOTICE, TEMPLATES

#: the seed's words on a rectification deadline and what follows it (通政办发〔2017〕179号 二（五）)
SEED_DEADLINE = (
    "确需延长整改期限的，可提出不超过3个月的延期申请；逾期未整改或经整改仍未达标的，报经有批准权的人民政府批准，"
    "依法关停退出。（通政办发〔2017〕179号 二（五））"
)
_FIXED_TIME = datetime(2026, 1, 1)


def _paragraph(doc, text: str, *, bold: bool = False, size: int = 12, center: bool = False, indent: bool = False):
    p = doc.add_paragraph()
    run = p.add_run(text)
    run.bold, run.font.size = bold, Pt(size)
    run.font.name = "SimSun"
    run._element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if indent:
        p.paragraph_format.first_line_indent = Pt(2 * size)
    return p


def _loop(doc, name: str, item: str) -> None:
    """A paragraph per element of list ``name`` (docxtpl's paragraph loop)."""
    _paragraph(doc, f"{{%p for line in {name} %}}")
    _paragraph(doc, item, indent=True)
    _paragraph(doc, "{%p endfor %}")


def template(kind: str) -> bytes:
    """One notice template as .docx bytes, the same bytes on every call."""
    doc = docx.Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.6)
    props = doc.core_properties
    props.author = props.last_modified_by = "geo_screen"
    props.title = kind
    props.created = props.modified = _FIXED_TIME
    props.revision = 1
    _paragraph(doc, "{{ issuing_unit }}", bold=True, size=18, center=True)
    _paragraph(doc, kind, bold=True, size=22, center=True)
    _paragraph(doc, "{{ doc_number }}", center=True)
    _paragraph(doc, "{{ enterprise_name }}：")
    _paragraph(doc, "统一社会信用代码：{{ uscc }}")
    _paragraph(doc, "所在县（市、区）：{{ county }}")
    _paragraph(doc, "地址：{{ address }}")
    _paragraph(doc, "筛查位置（CGCS2000）：{{ location }}")
    _paragraph(
        doc,
        "经筛查和现场核实，你单位存在《关于利用综合标准依法依规推动落后产能退出的实施意见》（通政办发〔2017〕179号）"
        "附件2“十项标准”所列以下情形：",
        indent=True,
    )
    _loop(doc, "standards", "{{ line }}")
    _paragraph(doc, "依据：", bold=True)
    _loop(doc, "evidence", "{{ line }}")
    _paragraph(doc, "法律依据：", bold=True)
    _loop(doc, "legal_bases", "{{ line }}")
    if kind == RECTIFICATION_NOTICE:
        _paragraph(doc, "经{{ issuing_unit }}决定（{{ doc_number }}），对你单位予以{{ disposition }}。", indent=True)
        _paragraph(doc, "请你单位于{{ deadline }}前整改到位，并将整改情况书面报告{{ issuing_unit }}。", indent=True)
        _paragraph(doc, SEED_DEADLINE, indent=True)
    else:
        _paragraph(doc, "经{{ issuing_unit }}决定（{{ doc_number }}），拟对你单位予以{{ disposition }}。", indent=True)
    _paragraph(
        doc,
        f"你单位依法享有陈述、申辩的权利，可自收到本{kind}之日起{{{{ statement_days }}}}日内向{{{{ issuing_unit }}}}"
        "提出陈述、申辩意见。",
        indent=True,
    )
    _paragraph(
        doc,
        f"你单位依法享有要求听证的权利；要求听证的，应当自收到本{kind}之日起{{{{ hearing_days }}}}日内提出。",
        indent=True,
    )
    _paragraph(doc, "联系方式：{{ contact }}")
    _paragraph(doc, "{{ issuing_unit }}")
    _paragraph(doc, "{{ issued_on }}")
    _paragraph(doc, "筛查批次：{{ run_id }}", size=9)
    raw = io.BytesIO()
    doc.save(raw)
    return _fixed_zip(raw.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with every member's timestamp fixed, so the bytes do not depend on the clock."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=TEMPLATES, help="where to write the templates")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for kind in (NOTICE, RECTIFICATION_NOTICE):
        path = args.out / f"{kind}.docx"
        path.write_bytes(template(kind))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
