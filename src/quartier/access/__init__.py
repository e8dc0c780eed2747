"""Access: travel costs, coverage of target groups, supply against norms, floating catchments,
gaps, catchment polygons; street networks in :mod:`quartier.access.network`.

Modules: :mod:`~quartier.access.costs`, :mod:`~quartier.access.covering`,
:mod:`~quartier.access.provision`, :mod:`~quartier.access.floating`, :mod:`~quartier.access.gaps`,
:mod:`~quartier.access.services`, :mod:`~quartier.access.catchments`.
"""
