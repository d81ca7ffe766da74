"""Inputs: enterprise registries read into one frame of canonical columns and CGCS2000 locations.

Owns the registry file formats and encodings (``sources``), column recognition (``columns``), cell values
(``values``) and the registry frame they make (``registry``), coordinates and their systems, GCJ-02/BD-09
offsets and the metric CRS choice (``crs``), swap detection, coverage and ``row_status`` (``locations``), and
unified social credit codes (``identifiers``). Every input row comes out once, with a status; nothing here
judges a standard.

Imports only the package's base modules (``errors``, ``results``, ``coded``, ``threads``); never
``pack``, ``screening``, ``outputs``, ``engines`` or ``app``.
"""
