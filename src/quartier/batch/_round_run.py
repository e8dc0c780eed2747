"""Controlled rounding of a run's people counts: one rounding per target group, additive.

With ``[disclosure] round_to`` every published count of a run is a multiple of the base, and
every published table adds up: in each row ``covered + uncovered == population``, and each
level unit (``[districts] levels``, up to the city) shows the sums of the rounded cells of its
districts (:func:`quartier.round_table`, zero-restricted: multiples, zeros included, stay).

Services on the same target group count the same people, so they publish the same rounded
population: two roundings of one count would narrow its range. The population is rounded once
per group, together with one service's covered and uncovered people (a table with a total
column over a hierarchy: a zero-restricted rounding always exists); each other service of the
group then rounds its parts with that rounded population fixed (``fixed=``). With a fixed total
a zero-restricted rounding need not exist; each service of the group is tried as the one
rounded with the population, and when none gives every service a zero-restricted rounding,
the fewest cells move by a further base (a warning says so). Suppression is decided on the
exact counts before; the rounded values of hidden cells are never published.
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
        out.update(_round_linked({n: tables[n] for n in names}, levels, base, seed))
    return out


def _round_linked(tables: dict[str, pd.DataFrame], levels: list[str], base: int,
                  seed: int) -> dict[str, RoundingResult]:
    best: tuple[int, dict[str, RoundingResult]] | None = None
    for lead in tables:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", QuartierWarning)  # said once below
            first = round_table(tables[lead], base, columns=COUNTS, total_column=TOTAL,
                                hierarchy=levels, seed=seed)
            results = {lead: first}
            for name, table in tables.items():
                if name != lead:
                    results[name] = round_table(
                        table.assign(**{TOTAL: first.table[TOTAL].to_numpy()}), base,
                        columns=COUNTS, total_column=TOTAL, hierarchy=levels, seed=seed,
                        fixed=[TOTAL])
        relaxed = sum(r.relaxed for r in results.values())
        if best is None or relaxed < best[0]:
            best = (relaxed, results)
        if not relaxed:
            break
    assert best is not None
    relaxed, results = best
    if relaxed:
        moved = [n for n, r in results.items() if r.relaxed]
        warnings.warn(f"controlled rounding: services {format_list(moved)} share their rounded "
                      f"population with {format_list(n for n in results if n not in moved)}; "
                      f"no rounding to the neighbouring multiples of {base} adds up for all of "
                      f"them, so {relaxed} cell(s) moved by a further base (the tables still add "
                      "up).", QuartierWarning, stacklevel=4)
    return results


def rounded_levels(result: RoundingResult, levels: list[str]) -> dict[str, pd.DataFrame]:
    """The rounded totals of every level, indexed by the unit labels as strings."""
    return {level: result.totals[level].set_axis(result.totals[level].index.astype(str))
            for level in levels}
