"""The words geo_screen writes: the Chinese (and English) label of every code and column, in one package.

Codes and column names are the results contract (:mod:`geo_screen.results`); this package says how they
read. Changing a label here changes it in every output: the workbooks, the county packages and their
field dictionary (字段说明.csv), the city's lists, the map and the command line. Import the words from
here (``from geo_screen.vocabulary import column_label``); each topic has its own module:

* :mod:`~geo_screen.vocabulary.codes`: standards (and the seed's numbering of them), dispositions, standard
  results, row statuses;
* :mod:`~geo_screen.vocabulary.columns`: results column headers, their DBF short names and meanings, the
  input's coordinate headers, the missing-value label;
* :mod:`~geo_screen.vocabulary.zones`: zone classes, planned land-use classes, notes on evidence in them;
* :mod:`~geo_screen.vocabulary.issues`: the ``issues`` tokens of a row;
* :mod:`~geo_screen.vocabulary.grades`: the performance evaluation;
* :mod:`~geo_screen.vocabulary.checklist`: the on-site checklist and the verification ledger;
* :mod:`~geo_screen.vocabulary.reports`: the city's lists, the published lists, two runs compared, notices.

Like every base module, the package imports no part of geo_screen (only :mod:`geo_screen.results`).

Which words come from where
---------------------------
* **The rules file** (``geo_screen/screening/rulesets/*.yaml``, read by :mod:`geo_screen.screening.rules`)
  owns the regulation's own text: each standard's ``title`` (the wording of Annex 2, shown on the map's
  enterprise card), the rule set's ``name`` and ``document``, and every ``legal_basis``. A county editing a
  copy of the rules changes those without touching code, so nothing here repeats them.
* **This package** owns the display words: standard labels (``标准3``), their list topics and short labels,
  disposition labels (``关闭取缔``), standard results, row statuses, zone classes, the Chinese column headers,
  the DBF short field names and their meanings, the city's report lists and the missing-value label.
* Words *read* from input files stay with their readers: the registry's header aliases in
  :mod:`geo_screen.inputs.columns` and the zone spellings of layer files in
  :data:`geo_screen.pack.zones.ZONE_VOCABULARIES`.

Examples
--------
>>> standard_label("3"), standard_label("3", form="topic"), standard_label("3", form="short")
('标准3', '标准3（不符合规划/生态红线）', '标准3 规划/生态红线')
>>> disposition_label("close"), DISPOSITIONS[0].en
('关闭取缔', 'close down')
"""

from geo_screen.vocabulary.checklist import (
    BEYOND_REPAIR,
    CHECK_BASIS_HEADER,
    CHECK_COLUMNS,
    CHECKLIST_SHEET,
    DECISION_CHOICES,
    DECISION_COLUMNS,
    DECISION_HEADER,
    ESCALATION_HEADER,
    EVIDENCE_HEADER,
    FOUND_TRUE,
    FOUND_UNTRUE,
    LEDGER_KIND_ZH,
    LEDGER_STATE_HEADERS,
    NOT_ASSESSED_HEADER,
    NOT_RECTIFIED,
    NOTES_HEADER,
    PENDING_COLUMNS,
    PENDING_SHEET,
    PROPOSAL_HEADER,
    RECTIFIED,
    RUN_ID_HEADER,
    STANDARDS_HEADER,
    UNVERIFIED,
    VERDICT,
    VERDICTS,
    WRONG_PLACE,
)
from geo_screen.vocabulary.codes import (
    DISPOSITION_ZH,
    DISPOSITIONS,
    RESULT_EN,
    RESULT_ZH,
    RESULTS,
    ROW_STATUS_ZH,
    ROW_STATUSES,
    SEED_ITEMS,
    STANDARD_DATA,
    STANDARDS,
    Standard,
    StandardForm,
    Term,
    disposition_label,
    seed_item,
    standard_label,
)
from geo_screen.vocabulary.columns import (
    CANONICAL_SUFFIX,
    COLUMN_ZH,
    COLUMNS,
    INPUT_COORDINATE_MEANING,
    INPUT_SYSTEMS,
    MISSING_ZH,
    NO_ZH,
    YES_ZH,
    Column,
    column_label,
    input_coordinate_label,
)
from geo_screen.vocabulary.grades import (
    BENCHMARK_COLUMN_ZH,
    BENCHMARKS_SHEET,
    GRADE_COLUMN_ZH,
    GRADE_COLUMNS,
    GRADE_COUNTS_SHEET,
    GRADE_GROUP_ZH,
    GRADE_STATUS_ZH,
    GRADE_STATUSES,
    GRADES_SHEET,
    METHOD_LABELS,
    METHOD_SHEET,
    grade_label,
    indicator_headers,
)
from geo_screen.vocabulary.issues import (
    ISSUE_ZH,
    issue_text,
    issues_text,
)
from geo_screen.vocabulary.reports import (
    CHANGE_COLUMN_ZH,
    CHANGE_KINDS,
    CHANGE_MEANING,
    CHANGE_SHEETS,
    CHANGE_ZH,
    CHANGES,
    CITY_LISTS,
    DECIDED_LIST_COLUMNS,
    DECIDED_LISTS,
    EMISSION_LIST,
    EMPTY_LIST_ZH,
    NOT_IN_RUN_ZH,
    NOTICE_BLANK,
    NOTICE_KINDS,
    RUN_ZH,
    CityList,
    DecidedList,
)
from geo_screen.vocabulary.zones import (
    CATEGORY_ZH,
    LANDUSE_CLASSES,
    LANDUSE_CONDITIONAL_NOTE,
    WATER_QUASI_ZONE_TEXT,
    ZONE_INDUSTRY_NOTE,
    ZONES,
    Zone,
    landuse_class_label,
    zone_industry_note,
    zone_label,
)

__all__ = [
    "BENCHMARKS_SHEET",
    "BENCHMARK_COLUMN_ZH",
    "BEYOND_REPAIR",
    "CANONICAL_SUFFIX",
    "CATEGORY_ZH",
    "CHANGES",
    "CHANGE_COLUMN_ZH",
    "CHANGE_KINDS",
    "CHANGE_MEANING",
    "CHANGE_SHEETS",
    "CHANGE_ZH",
    "CHECKLIST_SHEET",
    "CHECK_BASIS_HEADER",
    "CHECK_COLUMNS",
    "CITY_LISTS",
    "COLUMNS",
    "COLUMN_ZH",
    "CityList",
    "Column",
    "DECIDED_LISTS",
    "DECIDED_LIST_COLUMNS",
    "DECISION_CHOICES",
    "DECISION_COLUMNS",
    "DECISION_HEADER",
    "DISPOSITIONS",
    "DISPOSITION_ZH",
    "DecidedList",
    "EMISSION_LIST",
    "EMPTY_LIST_ZH",
    "ESCALATION_HEADER",
    "EVIDENCE_HEADER",
    "FOUND_TRUE",
    "FOUND_UNTRUE",
    "GRADES_SHEET",
    "GRADE_COLUMNS",
    "GRADE_COLUMN_ZH",
    "GRADE_COUNTS_SHEET",
    "GRADE_GROUP_ZH",
    "GRADE_STATUSES",
    "GRADE_STATUS_ZH",
    "INPUT_COORDINATE_MEANING",
    "INPUT_SYSTEMS",
    "ISSUE_ZH",
    "LANDUSE_CLASSES",
    "LANDUSE_CONDITIONAL_NOTE",
    "LEDGER_KIND_ZH",
    "LEDGER_STATE_HEADERS",
    "METHOD_LABELS",
    "METHOD_SHEET",
    "MISSING_ZH",
    "NOTES_HEADER",
    "NOTICE_BLANK",
    "NOTICE_KINDS",
    "NOT_ASSESSED_HEADER",
    "NOT_IN_RUN_ZH",
    "NOT_RECTIFIED",
    "NO_ZH",
    "PENDING_COLUMNS",
    "PENDING_SHEET",
    "PROPOSAL_HEADER",
    "RECTIFIED",
    "RESULTS",
    "RESULT_EN",
    "RESULT_ZH",
    "ROW_STATUSES",
    "ROW_STATUS_ZH",
    "RUN_ID_HEADER",
    "RUN_ZH",
    "SEED_ITEMS",
    "STANDARDS",
    "STANDARDS_HEADER",
    "STANDARD_DATA",
    "Standard",
    "StandardForm",
    "Term",
    "UNVERIFIED",
    "VERDICT",
    "VERDICTS",
    "WATER_QUASI_ZONE_TEXT",
    "WRONG_PLACE",
    "YES_ZH",
    "ZONES",
    "ZONE_INDUSTRY_NOTE",
    "Zone",
    "column_label",
    "disposition_label",
    "grade_label",
    "indicator_headers",
    "input_coordinate_label",
    "issue_text",
    "issues_text",
    "landuse_class_label",
    "seed_item",
    "standard_label",
    "zone_industry_note",
    "zone_label",
]
