"""Outputs: a screening run's files, and the packages and lists officials work from.

Owns the run writer (``run``: results.gpkg, results.parquet, results.xlsx, run.json), GeoPackage layers
(``gpkg``), workbooks (``workbook``, ``sheets``, ``sheetxml``), CSV files (``csvfile``), shapefile attribute
tables (``dbf``) and shapefiles written here or by an export's child process (``shapefiles``), the
county packages (``packages`` writes the zips; ``packagegroups``, ``packagecontent`` and ``packagefill``:
which packages and their names, what each holds besides its layers, the GeoPackage's fields to fill in), the
evidence sentences, on-site checklist and the city's lists (``evidence``, ``checklist``, ``citylists``), what
every document says about its run: Beijing times and the illustrative-data stamp (``provenance``), and a
performance evaluation's grades.xlsx and grades.csv (``grades``).

Imports the base modules, ``inputs`` (the output CRS), ``pack`` (only to read which layers of a run's catalog
are illustrative) and ``grading`` (the evaluation it writes); works from results, so never imports
``screening``, ``engines`` or ``app``.
"""
