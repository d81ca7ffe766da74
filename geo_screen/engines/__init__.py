"""Engines: screening registries larger than one pass in memory, streamed in chunks or on a Dask cluster.

Owns the chunked run (``chunked``) and the Dask engine (``cluster``); both give row for row what
:func:`geo_screen.screening.screen.screen` gives and write through :mod:`geo_screen.outputs.run`.

Imports the base modules, ``inputs``, ``pack``, ``screening`` and ``outputs``; never ``app``.
"""
