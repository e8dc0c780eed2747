"""Reading and keys: district geometries, statistics tables, facilities and points, official keys,
coordinate reference systems, and joining tables to districts with a report.

Modules: :mod:`~quartier.io.districts`, :mod:`~quartier.io.tables`, :mod:`~quartier.io.facilities`,
:mod:`~quartier.io.joins`, :mod:`~quartier.io.keys`, :mod:`~quartier.io.crs`.
"""
