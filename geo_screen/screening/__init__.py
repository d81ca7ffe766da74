"""Screening: a registry and a layer pack -> every standard's result, the evidence and the disposition.

Owns the screening entry (``screen``), the spatial standards 3, 4, 5 and 9 (``spatial``), the rule set and
the dispositions it gives (``rules``, the shipped ``rulesets/*.yaml``, and ``dispositions``, which applies them), and a run's provenance
(``manifest``). Its result is a :class:`geo_screen.results.ScreenResult`; writing it is not its job.

Imports the base modules, ``inputs`` and ``pack``; never ``outputs``, ``engines`` or ``app``.
"""
