"""A small evaluation method and a hand-computed indicator table for the grading tests."""

from __future__ import annotations

import copy

#: two indicators (60/40), a fixed and a county-mean benchmark, caps, two T rules, a to-D rule and a bonus
METHOD = {
    "name": "test method",
    "document": "test",
    "as_of": "2020-12-31",
    "groups": {
        "all": {
            "indicators": [
                {
                    "id": "tax_per_mu",
                    "name": "亩均税收",
                    "formula": "tax / land_area_mu",
                    "weight": 60,
                    "benchmark": {"mode": "fixed", "value": 10},
                    "cap": 2,
                },
                {
                    "id": "sales_per_mu",
                    "name": "亩均销售收入",
                    "formula": "sales / land_area_mu",
                    "weight": 40,
                    "benchmark": {"mode": "county_mean", "k": 2},
                    "cap": 1.5,
                },
            ]
        }
    },
    "exempt": [
        {"id": "utility", "name": "公用事业", "when": {"column": "industry", "contains": ["电力", "燃气"]}},
        {"id": "new_plant", "name": "投产不满2年", "when": {"column": "start_date", "within_years": 2}},
    ],
    "adjustments": [
        {
            "id": "serious_violation",
            "name": "严重环境违法",
            "when": {"column": "serious_violation", "is": True},
            "to_class": "D",
        },
        {"id": "high_tech", "name": "高新技术企业", "when": {"column": "high_tech", "is": True}, "points": 5},
    ],
    "classes": [
        {"grade": "A", "up_to_percent": 20},
        {"grade": "B", "up_to_percent": 60},
        {"grade": "C", "up_to_percent": 95},
        {"grade": "D", "up_to_percent": 100},
    ],
}

#: id, county, industry, land (mu), tax, sales, start, serious violation, high tech
ROWS = [
    ("E1", "甲县", "机械", 10, 200, 1000, "2010-01-01", "否", "否"),  # 20/mu -> 120 (cap); 100/mu -> 40: 160
    ("E2", "甲县", "机械", 10, 100, 600, "2010-01-01", "否", "否"),  # 60 + 24 = 84
    ("E3", "甲县", "机械", 10, 50, 400, "2010-01-01", "否", "否"),  # 30 + 16 = 46
    ("E4", "甲县", "机械", 10, 50, 400, "2010-01-01", "否", "否"),  # 46: tied with E3 at the B/C cut-off
    ("E5", "甲县", "机械", 10, 10, 200, "2010-01-01", "否", "是"),  # 6 + 8 + 5 bonus = 19
    ("E6", "甲县", "电力", 10, 10, 200, "2010-01-01", "否", "否"),  # T: utility
    ("E7", "甲县", "化工", 10, 300, 400, "2010-01-01", "是", "否"),  # straight to D (scores 120 + 16)
    ("E8", "甲县", "机械", 10, 10, 200, "2020-06-01", "否", "否"),  # T: in production under 2 years
    ("E9", "甲县", "机械", 0, 10, 200, "2010-01-01", "否", "否"),  # land 0: not graded
    ("E10", "甲县", "机械", 10, -5, 200, "2010-01-01", "否", "否"),  # negative tax: not graded
    ("E11", "", "机械", 10, 10, 200, "2010-01-01", "否", "否"),  # no county: not graded
    ("E12", "乙县", "机械", 10, 10, 300, "2010-01-01", "否", "否"),  # duplicate id: not graded
    ("E12", "乙县", "机械", 10, 10, 300, "2010-01-01", "否", "否"),
    ("F1", "乙县", "机械", 10, 20, 100, "2010-01-01", "否", "否"),  # 12 + 40*10/40 = 22
    ("F2", "乙县", "机械", 10, 10, 300, "2010-01-01", "否", "否"),  # 6 + 40*30/40 = 36
]
HEADERS = [
    "统一社会信用代码",
    "县（市、区）",
    "行业",
    "用地面积（亩）",
    "税收（万元）",
    "销售收入",
    "投产时间",
    "严重环境违法",
    "高新技术企业",
]


def method_dict() -> dict:
    return copy.deepcopy(METHOD)
