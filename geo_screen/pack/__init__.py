"""Layer packs: a ``catalog.yaml`` and its layers, loaded, checked and projected into metres.

Owns the catalog format (``model``) and reading it from YAML (``catalogfile``), the zone spellings of layer
files (``zones``), reading one layer with its zones and repairs (``layer``), layers derived from others such
as a belt drawn from a shoreline (``derived``), the loaded pack and its report (``catalog``), the pack in a
metric CRS with spatial and edge indexes (``metric``, ``edges``), land-use plan sampling (``landuse``) and
where the bundled Nantong demo lives (``demo``).

Imports the base modules and ``inputs`` (coordinate systems); never ``screening``, ``outputs``,
``engines`` or ``app``.
"""
