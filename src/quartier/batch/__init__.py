"""Batch runs: analysis configuration files, the runner, the ``quartier`` command line and the demo.

Modules: :mod:`~quartier.batch.config`, :mod:`~quartier.batch.runner`, :mod:`~quartier.batch.cli`,
:mod:`~quartier.batch.demo`.
"""
