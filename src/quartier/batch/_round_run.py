"""Controlled rounding of a run's people counts: one rounding per target group, additive.

With ``[disclosure] round_to`` every published count of a run is a multiple of the base, and
every published table adds up: in each row ``covered + uncovered == population``, and each
level unit (``[districts] levels``, up to the city) shows the sums of the rounded cells of its
districts (:func:`quartier.round_table`, zero-restricted: multiples, zeros included, stay).

Services on the same target group count the same people, so they publish the same rounded
population: two roundings of one count would narrow its range. The services of a group are
rounded together, in one :func:`quartier.round_table` of the population with one pair of parts
(covered, uncovered) per service (``parts=``): one rounded population, and every service's
parts adding up to it in every row and unit. Several splits of one total are no longer a
totally unimodular system, so a zero-restricted rounding need not exist; when the solver finds
none, the fewest cells move by a further base and a warning names the services (on Berlin's
542 Planungsräume with three services on the people aged 80+ and three levels, none needed
that for base 3, 5 or 10 and ten seeds each). Suppression is decided on the exact counts
before; the rounded values of hidden cells are never published.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from quartier.errors import QuartierWarning, format_list
from quartier.reporting.rounding import RoundingResult, round_table

PARTS = ["covered", "uncovered"]
TOTAL = "population"
COUNTS = [TOTAL, *PARTS]


def whole_people(table: pd.DataFrame) -> pd.DataFrame:
    """The counts as whole people (a fractional count, e.g. of an interpolated population,
    is rounded to a whole person first; uncovered stays population - covered)."""
    out = table.copy()
    population = np.round(table[TOTAL].to_numpy(dtype=float))
    covered = np.minimum(np.round(table["covered"].to_numpy(dtype=float)), population)
    out[TOTAL] = population.astype(np.int64)
    out["covered"] = covered.astype(np.int64)
    out["uncovered"] = (population - covered).astype(np.int64)
    return out


def round_group(tables: dict[str, pd.DataFrame], levels: list[str], base: int,
                seed: int = 0) -> dict[str, RoundingResult]:
    """The rounding of every service of one target group (``tables``: counts indexed by
    district key, with the level columns), the same rounded population for all of them."""
    tables = {name: whole_people(t) for name, t in tables.items()}
    # the same people: the same population in every district (else round them apart)
    linked: dict[bytes, list[str]] = {}
    for name, t in tables.items():
        linked.setdefault(t[TOTAL].to_numpy().tobytes(), []).append(name)
    out: dict[str, RoundingResult] = {}
    for names in linked.values():
        out.update(_round_together({n: tables[n] for n in names}, levels, base, seed))
    return out


def _round_together(tables: dict[str, pd.DataFrame], levels: list[str], base: int,
                    seed: int) -> dict[str, RoundingResult]:
    """One rounding of the population and every service's covered and uncovered people."""
    names = list(tables)
    first = tables[names[0]]
    wide = first[[*levels]].copy()
    wide[TOTAL] = first[TOTAL].to_numpy()
    splits = []
    for i, name in enumerate(names):
        split = [f"{c} {i}" for c in PARTS]
        for column, part in zip(split, PARTS, strict=True):
            wide[column] = tables[name][part].to_numpy()
        splits.append(split)
    columns = [TOTAL, *(c for split in splits for c in split)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", QuartierWarning)
        result = round_table(wide, base, columns=columns, total_column=TOTAL, parts=splits,
                             hierarchy=levels, seed=seed)
    if result.relaxed:
        warnings.warn(f"controlled rounding: for the services {format_list(names)} (one target "
                      f"group) no rounding to the neighbouring multiples of {base} adds up; "
                      f"{result.relaxed} cell(s) moved by a further base (the tables still add "
                      "up).", QuartierWarning, stacklevel=4)
    else:
        for w in caught:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    out = {}
    for name, split in zip(names, splits, strict=True):
        rename = {TOTAL: TOTAL, **dict(zip(split, PARTS, strict=True))}
        table = result.table[list(rename)].rename(columns=rename)
        totals = {level: frame[list(rename)].rename(columns=rename)
                  for level, frame in result.totals.items()}
        out[name] = RoundingResult(table, result.suppressed[list(rename)].rename(columns=rename),
                                   totals, base, result.zero_restricted, result.relaxed)
    return out


def rounded_levels(result: RoundingResult, levels: list[str]) -> dict[str, pd.DataFrame]:
    """The rounded totals of every level, indexed by the unit labels as strings."""
    return {level: result.totals[level].set_axis(result.totals[level].index.astype(str))
            for level in levels}
