"""Screening: a registry and a layer pack -> every standard's result, the evidence and the disposition.

Owns the screening entry (``screen``), the spatial standards 3, 4, 5 and 9 (``spatial``, with the zone checks in
``zones``), the rule set (``rules`` and the shipped ``rulesets/*.yaml``), the dispositions it gives
(``dispositions``), what the ledger's facts change (``verified``: given as a frame, never read from a ledger) and
a run's provenance (``manifest``). Its result is a :class:`geo_screen.results.ScreenResult`;
writing it is not its job.

Imports the base modules, ``inputs`` and ``pack``; never ``outputs``, ``engines`` or ``app``.
"""
