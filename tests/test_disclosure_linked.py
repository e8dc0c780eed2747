"""Services of one target group protected together (batch/_protect.py) on a rare Berlin subset.

A colleague's Berlin run (three services on a rare 80+ population, levels Bezirksregion,
Prognoseraum, Bezirk) never finished: each service hid its level totals on its own, so one
service's published parts gave away a population total another hid, the joint attack found
the same small counts round after round, and widening the districts around them could not help
(everything there was hidden already). These tests count rounds and LPs, no clock.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog
from scipy.spatial import cKDTree

import quartier
from quartier.batch import _linked, _protect
from quartier.reporting import _audit
from quartier.reporting.audit import audit_disclosure
from quartier.reporting.disclosure_control import DisclosureRules

LEVELS = ["BZR", "PGR", "BEZ"]
REACHES = {"A": 300, "B": 500, "C": 1000}


@pytest.fixture(scope="module")
def rare_tables(shared):
    """Bezirke 01 and 02 (see :func:`_rare`)."""
    return _rare(shared, ["01", "02"])


def _rare(shared, bezirke):
    """The 80+ of the 2011 census grid thinned to 1 % (seed 7), covered within straight-line
    reach of a care home (KD-tree), summed per Planungsraum of ``bezirke``."""
    plr = gpd.read_file(shared / "berlin_lor" / "lor_planungsraeume_2021.shp")
    plr["PLR_ID"] = plr["PLR_ID"].astype(str)
    plr = plr[plr["PLR_ID"].str[:2].isin(bezirke)].sort_values("PLR_ID")
    plr = plr.reset_index(drop=True)
    cells = quartier.read_points(shared / "zensus2011_grid"
                                 / "berlin_zensus2011_100m_age_80plus_cells.csv",
                                 x="x", y="y", source_crs="EPSG:3035", crs="EPSG:25833")
    cells["rare"] = np.random.default_rng(7).binomial(cells["value"].to_numpy(), 0.01)
    joined = gpd.sjoin(cells, plr[["PLR_ID", "geometry"]], predicate="within")
    homes = gpd.read_file(shared / "berlin_facilities" / "pflegeeinrichtungen.geojson")
    homes = homes.to_crs("EPSG:25833")
    distance, _ = cKDTree(np.column_stack([homes.geometry.x, homes.geometry.y])).query(
        np.column_stack([joined.geometry.x, joined.geometry.y]))
    tables = {}
    for name, reach in REACHES.items():
        people = pd.DataFrame({"population": joined["rare"].to_numpy(dtype=float),
                               "covered": np.where(distance <= reach, joined["rare"], 0.0)},
                              index=joined["PLR_ID"].to_numpy())
        table = people.groupby(level=0).sum().reindex(plr["PLR_ID"], fill_value=0.0)
        table["uncovered"] = table["population"] - table["covered"]
        table = table[_protect.COUNTS]
        table.index = pd.Index(plr["PLR_ID"].to_numpy(), name="key")
        for level, width in zip(LEVELS, (6, 4, 2), strict=True):
            table[level] = table.index.str[:width]
        tables[name] = table
    population = tables["A"]["population"]
    assert population.sum() > 50 and ((population > 0) & (population < 3)).sum() > 20
    return tables


def test_a_rare_berlin_subset_settles_in_one_round_and_passes_both_audits(rare_tables,
                                                                          monkeypatch):
    calls = {"linked": 0, "protect": 0}
    linked, protect = _protect.linked_failures, _protect.protect_table

    def count_linked(*args, **kwargs):
        calls["linked"] += 1
        return linked(*args, **kwargs)

    def count_protect(*args, **kwargs):
        calls["protect"] += 1
        return protect(*args, **kwargs)

    monkeypatch.setattr(_protect, "linked_failures", count_linked)
    monkeypatch.setattr(_protect, "protect_table", count_protect)
    results = _protect._protect_group(rare_tables, LEVELS, DisclosureRules(min_count=3))
    # before: refused after widening found nothing more to hide (the loop ran to its end)
    assert calls["linked"] == 1, calls
    assert calls["protect"] <= 3 * 4, calls
    assert linked(rare_tables, results, LEVELS, 3) == []
    for name, table in rare_tables.items():
        audit = audit_disclosure(table, results[name], min_count=3,
                                 columns=_protect.PARTS, total_column="population",
                                 hierarchy=LEVELS, totals_published=False)
        assert audit.passed, (name, audit.cells)
    # one population pattern at every level
    for level in ("BZR", "PGR", "BEZ", "total"):
        masks = [results[n].totals[level]["population"].isna().to_numpy() for n in results]
        assert all((m == masks[0]).all() for m in masks[1:]), level
    masks = [results[n].suppressed["population"].to_numpy() for n in results]
    assert all((m == masks[0]).all() for m in masks[1:])


def test_where_the_districts_are_exhausted_the_level_totals_around_are_hidden(shared,
                                                                           monkeypatch):
    """Bezirke 03 and 04: a Bezirksregion (034006) whose populations 1, 3, 2 are hidden with
    every part, yet one service publishes its totals (covered 0, uncovered 6) and the others
    hide parts enough to give each Planungsraum at least 2: the first one is at most 2.
    Hiding more districts cannot help; hiding totals around it does (before: refused)."""
    tables = _rare(shared, ["03", "04"])
    calls = {"linked": 0}
    linked = _protect.linked_failures

    def count_linked(*args, **kwargs):
        calls["linked"] += 1
        return linked(*args, **kwargs)

    monkeypatch.setattr(_protect, "linked_failures", count_linked)
    results = _protect._protect_group(tables, LEVELS, DisclosureRules(min_count=3))
    assert 1 < calls["linked"] <= 3, calls
    assert linked(tables, results, LEVELS, 3) == []
    for name, table in tables.items():
        audit = audit_disclosure(table, results[name], min_count=3,
                                 columns=_protect.PARTS, total_column="population",
                                 hierarchy=LEVELS, totals_published=False)
        assert audit.passed, (name, audit.cells)


def test_level_totals_hidden_by_one_service_are_hidden_with_a_part_by_each(rare_tables):
    results = _protect._protect_group(rare_tables, LEVELS, DisclosureRules(min_count=3))
    for level in ("BZR", "PGR"):
        for name, table in rare_tables.items():
            totals = results[name].totals[level]
            truth = table.groupby(level)[_protect.COUNTS].sum().reindex(
                totals.index.astype(str))
            hidden = totals["population"].isna().to_numpy()
            parts = totals[_protect.PARTS].isna().to_numpy()
            positive = truth["population"].to_numpy() > 0
            # a hidden population is not the sum of two published parts
            assert not (hidden & positive & ~parts.any(axis=1)).any(), (name, level)


def test_the_joint_attack_finds_what_one_lp_per_small_count_finds_with_fewer_lps(
        rare_tables, monkeypatch):
    """Before: one LP over the whole group per hidden small count. Now: components and a sum
    LP certifying many counts at once; the failures and their bounds must be the same."""
    # a pattern that fails: each service protected on its own
    single = {name: quartier.protect_table(table, 3, columns=_protect.PARTS,
                                           total_column="population", hierarchy=LEVELS,
                                           rules=False, totals_published=False)
              for name, table in rare_tables.items()}
    captured = {}
    upper_bounds = _linked._upper_bounds
    monkeypatch.setattr(_linked, "_upper_bounds", lambda a_eq, truth, hidden, min_count,
                        stats=None: captured.update(a_eq=a_eq, truth=truth, hidden=hidden)
                        or [])
    _linked.linked_failures(rare_tables, single, LEVELS, 3)
    a_eq, truth, hidden = captured["a_eq"], captured["truth"], captured["hidden"]
    bounds = [(1.0, None) if h else (t, t) for h, t in zip(hidden, truth, strict=True)]
    small = np.flatnonzero(hidden & (truth > 0) & (truth < 3))
    reference = []
    for var in small:
        c = np.zeros(truth.size)
        c[var] = -1.0
        res = linprog(c, A_eq=a_eq, b_eq=np.zeros(a_eq.shape[0]), bounds=bounds,
                      method="highs")
        assert res.status == 0
        if -res.fun < 3 - 1e-6:
            reference.append((int(var), round(-res.fun, 6)))
    stats: dict = {}
    found = upper_bounds(a_eq, truth, hidden, 3, stats)
    assert reference, "each service's own pattern should give counts away jointly"
    assert [(v, round(u, 6)) for v, u in found] == reference
    assert stats["lp"] < len(small) / 2 + len(reference), (stats, len(small), len(reference))


def test_an_unchanged_component_is_not_attacked_twice(rare_tables, monkeypatch):
    monkeypatch.setattr(_audit, "_MEMO", {})
    table = rare_tables["C"]
    system = _audit.hier_system(table, [*_protect.PARTS, "population"], "population", LEVELS)
    primary = (system.values > 0) & (system.values < 3)
    hidden = _audit.prepass(system, primary.copy(), primary)
    first: dict = {}
    once = _audit.attack(system, hidden, primary, 3, exact=False, stats=first)
    second: dict = {}
    again = _audit.attack(system, hidden, primary, 3, exact=False, stats=second)
    assert first.get("lp", 0) > 0 and second.get("lp", 0) == 0
    def key(f):
        return f.cell, repr(f.lower), repr(f.upper), f.known

    assert [key(f) for f in once] == [key(f) for f in again]
    assert once, "the prepass pattern alone should leave failures to find"
