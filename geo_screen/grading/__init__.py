"""The performance evaluation (亩均论英雄): A/B/C/D grades computed from each enterprise's 亩均 indicators.

Owns the evaluation method format and the shipped default method (``method``, ``methods/*.yaml``), the safe
indicator formulas (``formula``), reading an indicator table (``indicators``), the evaluation itself -- indicator
values, scores, bonus and penalty, T class, ranks within the county and classes (``evaluate``) -- and joining
computed grades to a registry (``join``). Section 二(一) of 通政办发〔2017〕179号 asks for it; standards 2 and 10
read the grade it gives.

Imports the base modules and ``inputs`` (header recognition and value parsing shared with the registry); never
``pack``, ``screening``, ``outputs``, ``engines`` or ``app`` (the writers of grades.xlsx live in ``outputs``).
"""
