"""Ledger: what the county found on site and what the competent authority decided, kept append-only.

A screening proposes (初筛建议); the ledger records what follows (核实, 决定, 整改期限, 位置更正): one entry per
finding, decision, deadline, location fix or note, keyed by ``enterprise_id`` (USCC) and, where it applies,
the standard, each chained to the one before by a SHA-256 hash so that ``geo-screen ledger check`` proves
nothing was edited or removed. A correction is a new entry naming the one it corrects.

Owns the entry model and its hash (``entries``), the store on SQLite or PostgreSQL through one SQLAlchemy Core
code path with its schema version (``store``), importing a returned on-site checklist (``verify``), an
enterprise's history (``history``), the ledger's facts per enterprise (``facts``), screening with them
(``rescreen``: the screening cannot open a ledger, being upstream of it, so the ledger hands it the facts), the
published lists built from its decisions with their publication file (``lists``), and the notices to enterprises
from its decisions (``notices``: 告知书 / 限期整改通知书, .docx through docxtpl, with the templates and their
settings in ``templates/``).

Imports the base modules, ``outputs`` (Beijing time, the checklist's headers, workbooks, evidence sentences, safe
file names) and ``screening`` (``rescreen``; the rules' titles in ``notices``); never ``engines`` or ``app``.
"""
