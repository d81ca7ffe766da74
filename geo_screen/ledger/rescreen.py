"""Screening with the ledger: ``geo_screen.screen(..., ledger=)`` reads the ledger's facts and screens with them.

The screening cannot open a ledger (``screening`` is upstream of ``ledger`` and never imports it); this thin
wrapper is where the two meet: it condenses the ledger into one row per enterprise
(:func:`~geo_screen.ledger.facts.ledger_facts`) and hands that frame to
:func:`geo_screen.screening.screen.screen` as ``verified=``. Without a ledger it is that function unchanged.
"""

from __future__ import annotations

import os
from datetime import date

from geo_screen import results as R
from geo_screen.ledger.facts import ledger_facts
from geo_screen.ledger.store import Ledger, open_ledger
from geo_screen.screening import screen as screening


def screen(
    registry, catalog, *, ledger: Ledger | str | os.PathLike | None = None, today: date | None = None, **options
) -> R.ScreenResult:
    """Screen ``registry`` against ``catalog`` (:func:`geo_screen.screening.screen.screen`), with the ledger's
    findings and decisions when ``ledger`` is given.

    Parameters
    ----------
    registry, catalog
        As :func:`geo_screen.screening.screen.screen`.
    ledger
        An open :class:`~geo_screen.ledger.store.Ledger`, a SQLite file or a ``postgresql://`` URL. The results
        then carry ``verification`` (未核实 or the latest finding), ``decided_disposition``, ``decision_doc``,
        ``due_date`` and ``overdue``; 整改不到位 or a passed deadline applies the escalation, 不属实 overrules
        the standards it names, 位置有误 screens the corrected location (each switchable in the rules'
        ``verification``). ``run.json`` records the ledger, its entry count and last hash under ``ledger``.
    today
        The day in Beijing deadlines are measured against (default: today).
    **options
        ``rules``, ``crs``, ``grades``, ``progress``: as :func:`geo_screen.screening.screen.screen`.

    Returns
    -------
    ScreenResult
    """
    if ledger is None:
        return screening.screen(registry, catalog, **options)
    if isinstance(ledger, Ledger):
        facts = ledger_facts(ledger, today=today)
    else:
        with open_ledger(ledger) as opened:
            facts = ledger_facts(opened, today=today)
    return screening.screen(registry, catalog, verified=facts, **options)
