"""Output: interactive maps that work offline, print maps, GIS layers and rasters, number formats.

Modules: :mod:`~quartier.output.maps`, :mod:`~quartier.output.offline`,
:mod:`~quartier.output.printmap`, :mod:`~quartier.output.export`,
:mod:`~quartier.output.formatting`.
"""
