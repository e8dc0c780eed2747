"""Needs planning: where new facilities should go (siting), future demand from projections, and
the statement on a development plan.

Modules: :mod:`~quartier.planning.siting`, :mod:`~quartier.planning.projection`,
:mod:`~quartier.planning.statement`.
"""
