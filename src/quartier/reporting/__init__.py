"""Social reporting: rates and level aggregation, composite indices, reporting years and
disclosure control.

Modules: :mod:`~quartier.reporting.rates`, :mod:`~quartier.reporting.index`,
:mod:`~quartier.reporting.years`, :mod:`~quartier.reporting.disclosure_control`,
:mod:`~quartier.reporting.audit`.
"""
