"""District systems and rasters: values moved between district systems (areal and dasymetric
interpolation) and population rasters summed per district.

Modules: :mod:`~quartier.areas.interpolate`, :mod:`~quartier.areas.rasters`.
"""
