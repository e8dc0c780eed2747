"""Street networks: graphs from OpenStreetMap or GIS lines, walking profiles, shortest-path search
and snapping of points to streets.

Modules: :mod:`~quartier.access.network.streets` (:class:`~quartier.StreetNetwork`).
"""
