"""Floating catchments: hand calculations for every method, PySAL access as oracle on Berlin."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point

from quartier.access import _fca_kernel as kernel
from quartier.access.costs import cost_matrix
from quartier.access.floating import fca, fca_weights
from quartier.errors import ColumnError, CRSError, QuartierError, QuartierWarning, ValueParseError

access = pytest.importorskip("access")
from access import Access  # noqa: E402
from access import weights as aw  # noqa: E402


@pytest.fixture
def line():
    """Three demand points and two facilities on the x axis (metres), max_cost 1000.

    demand   i1 x=0 P=100   i2 x=600 P=200   i3 x=1500 P=50
    supply   F1 x=300 S=60  F2 x=1200 S=30
    costs in reach (<= 1000): i1-F1 300, i2-F1 300, i2-F2 600, i3-F2 300
    out of reach: i1-F2 1200, i3-F1 1200
    """
    demand = gpd.GeoDataFrame(
        {"P": [100, 200, 50]}, geometry=[Point(0, 0), Point(600, 0), Point(1500, 0)],
        crs="EPSG:25833", index=["i1", "i2", "i3"],
    )
    supply = gpd.GeoDataFrame(
        {"S": [60, 30]}, geometry=[Point(300, 0), Point(1200, 0)], crs="EPSG:25833",
        index=["F1", "F2"],
    )
    return demand, supply


def _result(line, **kw):
    demand, supply = line
    return fca(demand, supply, max_cost=1000, demand_col="P", capacity="S", **kw)


def _run(line, **kw):
    return _result(line, **kw).scores


def test_hand_2sfca(line):
    # R1 = 60 / (100 + 200) = 0.2 ; R2 = 30 / (200 + 50) = 0.12
    # A1 = R1 = 0.2 ; A2 = R1 + R2 = 0.32 ; A3 = R2 = 0.12
    a = _run(line, method="2sfca")
    assert a.index.tolist() == ["i1", "i2", "i3"]
    assert np.allclose(a, [0.2, 0.32, 0.12], rtol=1e-12)
    # every place is shared out once: sum P A = 100*0.2 + 200*0.32 + 50*0.12 = 90 = 60 + 30
    assert (line[0]["P"] * a).sum() == pytest.approx(90)
    assert np.allclose(_result(line, method="2sfca").report.ratios, [0.2, 0.12])
    # per 1,000: 200, 320, 120 places per 1,000 people
    assert np.allclose(_run(line, method="2sfca", per=1000), [200, 320, 120])


def test_hand_e2sfca(line):
    # steps {500: 1, 1000: 0.5}: w(300) = 1, w(600) = 0.5
    # R1 = 60 / (100*1 + 200*1) = 0.2 ; R2 = 30 / (200*0.5 + 50*1) = 0.2
    # A1 = 0.2*1 = 0.2 ; A2 = 0.2*1 + 0.2*0.5 = 0.3 ; A3 = 0.2*1 = 0.2
    a = _run(line, method="e2sfca", weights={500: 1.0, 1000: 0.5})
    assert np.allclose(a, [0.2, 0.3, 0.2], rtol=1e-12)


def test_hand_gravity_power_and_exponential(line):
    # power, beta = 2, scaled by max_cost: w(300) = (0.3)^-2 = 100/9, w(600) = (0.6)^-2 = 25/9
    # R1 = 60 / (300 * 100/9) = 0.018 ; R2 = 30 / (200*25/9 + 50*100/9) = 30 / (10000/9) = 0.027
    # A1 = 0.018*100/9 = 0.2 ; A2 = 0.2 + 0.027*25/9 = 0.275 ; A3 = 0.027*100/9 = 0.3
    a = _run(line, method="gravity", decay=2)
    assert np.allclose(a, [0.2, 0.275, 0.3], rtol=1e-12)
    assert (line[0]["P"] * a).sum() == pytest.approx(90)
    # exponential, beta = ln 2 / 300: w(300) = 0.5, w(600) = 0.25
    # R1 = 60 / (300*0.5) = 0.4 ; R2 = 30 / (200*0.25 + 50*0.5) = 0.4
    # A1 = 0.4*0.5 = 0.2 ; A2 = 0.4*0.5 + 0.4*0.25 = 0.3 ; A3 = 0.4*0.5 = 0.2
    b = _run(line, method="gravity", decay=math.log(2) / 300, decay_kind="exponential")
    assert np.allclose(b, [0.2, 0.3, 0.2], rtol=1e-12)


def test_hand_g2sfca(line):
    # sigma^2 = 300^2 / ln 2: w(300) = exp(-ln2 / 2) = 1/sqrt2, w(600) = exp(-2 ln2) = 1/4
    # r = w(600) / w(300) = 1 / (2 sqrt2)
    # A1 = R1 w(300) = 60 / 300 = 0.2 (both F1 users have the same weight)
    # A3 = 30 w(300) / (200 w(600) + 50 w(300)) = 30 / (200 r + 50)
    # A2 = 0.2 + 30 r / (200 r + 50)
    r = 1 / (2 * math.sqrt(2))
    a = _run(line, method="g2sfca", decay=300 / math.sqrt(math.log(2)))
    assert np.allclose(a, [0.2, 0.2 + 30 * r / (200 * r + 50), 30 / (200 * r + 50)], rtol=1e-12)
    assert a.iloc[2] == pytest.approx(0.248528, abs=1e-6)


def test_unreachable_and_zero_demand_are_defined(line):
    demand, supply = line
    far = pd.concat([supply, gpd.GeoDataFrame(
        {"S": [10]}, geometry=[Point(9000, 0)], crs="EPSG:25833", index=["F3"])])
    lonely = pd.concat([demand, gpd.GeoDataFrame(
        {"P": [7]}, geometry=[Point(-5000, 0)], crs="EPSG:25833", index=["i4"])])
    with pytest.warns(QuartierWarning, match="1 facility with 10 places has no demand"):
        res = fca(lonely, far, max_cost=1000, demand_col="P", capacity="S")
    a = res.scores
    # the lonely unit gets 0, not NaN; F3 contributes nothing and is reported
    assert a["i4"] == 0.0 and not a.isna().any()
    info = res.report
    assert info.unreached == ["i4"] and info.unused_supply == ["F3"]
    assert np.isnan(info.ratios["F3"])
    assert np.allclose(a[["i1", "i2", "i3"]], [0.2, 0.32, 0.12])
    # a catchment with only zero demand: R undefined -> 0, not inf
    zero = demand.assign(P=[0, 0, 50])
    with pytest.warns(QuartierWarning, match="no demand"):
        z = fca(zero, supply, max_cost=1000, demand_col="P", capacity="S").scores
    # F1 reaches only zeros (undefined); F2: R2 = 30 / 50 = 0.6 -> A2 = A3 = 0.6
    assert z.tolist() == [0.0, 0.6, 0.6]


def test_weights_follow_access_conventions():
    d = np.array([0, 499.99, 500, 500.01, 1000, 1500, 1500.01])
    steps = {500: 1.0, 1000: 0.68, 1500: 0.22}
    ours = fca_weights("e2sfca", max_cost=1500, weights=steps)(d)
    theirs = [aw.step_fn(steps)(x) for x in d]
    assert ours.tolist() == theirs  # cost == upper is in that step (<=), beyond the last: 0
    default = fca_weights("e2sfca", max_cost=30)(np.array([10.0, 20, 30]))
    assert default.tolist() == [1.0, 0.68, 0.22]  # access' default {10: 1, 20: 0.68, 30: 0.22}
    g = fca_weights("g2sfca", max_cost=60, decay=20)(np.array([0.0, 20, 40]))
    assert np.allclose(g, [aw.gaussian(20)(x) for x in (0.0, 20, 40)], rtol=1e-15)
    p = fca_weights("gravity", max_cost=20, decay=2, min_cost=1)(np.array([0.0, 2, 40]))
    assert np.allclose(p, [aw.gravity(20, -2, 1)(x) for x in (0.0, 2, 40)], rtol=1e-15)


def test_errors_are_clear(line):
    demand, supply = line
    with pytest.raises(ValueError, match="one of"):
        _run(line, method="3sfca")
    with pytest.raises(ValueError, match="takes no weights"):
        _run(line, method="2sfca", weights={500: 1})
    with pytest.raises(ColumnError, match="demand column 'EW'"):
        fca(demand, supply, max_cost=500, demand_col="EW", capacity="S")
    with pytest.raises(ValueParseError, match="negative"):
        fca(demand.assign(P=[1, -1, 2]), supply, max_cost=500, demand_col="P", capacity="S")
    with pytest.raises(CRSError, match="to_crs"):
        fca(demand, supply.to_crs(25832), max_cost=500, demand_col="P", capacity="S")
    on_top = supply.set_geometry([Point(0, 0), Point(1200, 0)])
    with pytest.raises(ValueError, match="min_cost"):
        fca(demand, on_top, method="gravity", max_cost=1000, demand_col="P", capacity="S")
    # e2sfca without max_cost: the largest step
    a = fca(demand, supply, method="e2sfca", max_cost=None, weights={500: 1, 1000: 0.5},
            demand_col="P", capacity="S").scores
    assert np.allclose(a, [0.2, 0.3, 0.2])


def test_precomputed_costs_are_reused(line):
    demand, supply = line
    cm = cost_matrix(demand, supply, max_cost=5000)
    a = fca(demand, supply, max_cost=1000, demand_col="P", capacity="S", costs=cm).scores
    assert np.allclose(a, [0.2, 0.32, 0.12])
    with pytest.raises(ValueError, match="cut at"):
        fca(demand, supply, max_cost=9000, demand_col="P", capacity="S", costs=cm)


# ---------------------------------------------------------------- PySAL access on Berlin


@pytest.fixture
def berlin(berlin_plr_population, berlin_kitas, berlin_care_homes):
    joined = berlin_plr_population
    points = joined.set_geometry(joined.representative_point())
    return points, berlin_kitas, berlin_care_homes


def _access(points, fac, col, cap, max_cost, weight_fn=None):
    cm = cost_matrix(points, fac, max_cost=max_cost)
    costs = cm.to_frame()  # the identical cost table
    acc = Access(
        demand_df=pd.DataFrame({col: points[col]}).rename_axis("geoid"), demand_index=True,
        demand_value=col, supply_df=pd.DataFrame({cap: fac[cap]}).rename_axis("geoid"),
        supply_index=True, supply_value=cap, cost_df=costs, cost_origin="origin",
        cost_dest="destination", cost_name="cost",
    )
    if weight_fn is None:
        out = acc.two_stage_fca(name="x", max_cost=max_cost)
    else:
        out = acc.enhanced_two_stage_fca(name="x", max_cost=max_cost, weight_fn=weight_fn)
    return out["x_" + cap].reindex(points.index), cm


def _agree(result, theirs):
    ours = result.scores
    finite = np.isfinite(theirs.to_numpy())
    assert finite.sum() > 0.9 * len(theirs)
    assert np.allclose(ours[finite], theirs[finite], rtol=1e-9, atol=0)
    # where access has NaN (no facility in reach) quartier has a defined 0
    missing = theirs.isna().to_numpy()
    assert (ours[missing] == 0).all()
    assert set(ours.index[missing]) <= set(result.report.unreached)


CASES = [
    ("kitas", "inhabitants_age_below_6", "places", 1500),
    ("homes", "inhabitants_age_above_65", "platzzahl", 3000),
]


@pytest.mark.parametrize(("which", "col", "cap", "max_cost"), CASES)
def test_berlin_2sfca_matches_access(berlin, which, col, cap, max_cost):
    points, kitas, homes = berlin
    fac = kitas if which == "kitas" else homes
    theirs, cm = _access(points, fac, col, cap, max_cost)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        ours = fca(points, fac, method="2sfca", max_cost=max_cost, demand_col=col, capacity=cap)
        again = fca(points, fac, method="2sfca", max_cost=max_cost, demand_col=col,
                    capacity=cap, costs=cm)
    assert ours.report.n_pairs == cm.n_pairs
    _agree(ours, theirs)
    assert np.allclose(ours.scores.to_numpy(), again.scores.to_numpy(), rtol=1e-12, atol=0)


@pytest.mark.parametrize(("which", "col", "cap", "max_cost"), CASES)
def test_berlin_e2sfca_matches_access(berlin, which, col, cap, max_cost):
    points, kitas, homes = berlin
    fac = kitas if which == "kitas" else homes
    steps = {max_cost / 3: 1.0, 2 * max_cost / 3: 0.68, max_cost: 0.22}
    theirs, _ = _access(points, fac, col, cap, max_cost, weight_fn=aw.step_fn(steps))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        ours = fca(points, fac, method="e2sfca", weights=steps, max_cost=max_cost,
                   demand_col=col, capacity=cap)
    _agree(ours, theirs)


def test_berlin_gravity_and_gaussian_match_access(berlin):
    points, kitas, _ = berlin
    col, cap = "inhabitants_age_below_6", "places"
    for method, decay, fn in [
        ("gravity", 1.5, aw.gravity(1500, -1.5, 1.0)),
        ("g2sfca", 600.0, aw.gaussian(600.0)),
    ]:
        # access' two_stage_fca with a weight function is the same as its E2SFCA call
        theirs, _ = _access(points, kitas, col, cap, 1500, weight_fn=fn)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", QuartierWarning)
            ours = fca(points, kitas, method=method, decay=decay, min_cost=1.0, max_cost=1500,
                       demand_col=col, capacity=cap)
        _agree(ours, theirs)


# ---------------------------------------------------------------- invariants


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 3000), st.floats(0, 3000), st.integers(0, 300)),
             min_size=1, max_size=30),
    st.lists(st.tuples(st.floats(0, 3000), st.floats(0, 3000), st.integers(0, 80)),
             min_size=1, max_size=6),
    st.floats(50, 2000),
    st.sampled_from(["2sfca", "e2sfca", "g2sfca"]),
)
def test_places_are_shared_out_exactly_once(demand, supply, radius, method):
    d = gpd.GeoDataFrame({"P": [p for *_, p in demand]},
                         geometry=[Point(x, y) for x, y, _ in demand], crs="EPSG:25832")
    s = gpd.GeoDataFrame({"S": [c for *_, c in supply]},
                         geometry=[Point(x, y) for x, y, _ in supply], crs="EPSG:25832")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        res = fca(d, s, method=method, max_cost=radius, demand_col="P", capacity="S")
    a = res.scores
    assert np.isfinite(a).all() and (a >= 0).all()
    info = res.report
    used = ~s.index.isin(info.unused_supply)
    assert (d["P"] * a).sum() == pytest.approx(s["S"][used].sum(), rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------- streaming kernel (numba)

def _both(demand, supply, **kw):
    """fca through the streaming kernel and through the numpy path over stored pairs."""
    if not kernel.AVAILABLE:
        pytest.skip("numba is not installed: fca uses its numpy path only")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        fast = fca(demand, supply, demand_col="P", capacity="S", **kw)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(kernel, "AVAILABLE", False)
            slow = fca(demand, supply, demand_col="P", capacity="S", **kw)
    return fast, slow


def _same(fast_result, slow_result):
    fast, slow = fast_result.scores, slow_result.scores
    assert fast.index.equals(slow.index) and fast.name == slow.name
    assert np.allclose(fast.to_numpy(), slow.to_numpy(), rtol=1e-12, atol=0)
    a, b = fast_result.report, slow_result.report
    assert a.n_pairs == b.n_pairs
    assert a.unused_supply == b.unused_supply and a.unreached == b.unreached
    assert np.allclose(a.ratios, b.ratios, rtol=1e-12, atol=0, equal_nan=True)


#: lattice coordinates: many pairs exactly at the radius (3-4-5 triangles) and on cell borders
_coord = st.one_of(st.integers(0, 16).map(lambda k: 150.0 * k), st.floats(0, 2400))
_methods = st.sampled_from([
    {"method": "2sfca"},
    {"method": "e2sfca", "weights": {300.0: 1.0, 600.0: 0.6, 750.0: 0.2}},
    {"method": "e2sfca"},
    {"method": "gravity", "decay": 1.5, "min_cost": 10.0},
    {"method": "gravity", "decay": 0.004, "decay_kind": "exponential"},
    {"method": "g2sfca", "decay": 300.0},
])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(_coord, _coord, st.sampled_from([0, 0, 1, 7, 250])), min_size=1,
             max_size=40),
    st.lists(st.tuples(_coord, _coord, st.integers(0, 80)), min_size=1, max_size=8),
    st.sampled_from([750.0, 600.0, 300.0, 1000.0 / 3]),
    _methods,
)
def test_kernel_matches_pair_path(demand, supply, radius, kw):
    d = gpd.GeoDataFrame({"P": [p for *_, p in demand]},
                         geometry=[Point(x, y) for x, y, _ in demand], crs="EPSG:25832")
    # one facility far away: no demand in reach
    s = gpd.GeoDataFrame({"S": [c for *_, c in supply] + [5]},
                         geometry=[Point(x, y) for x, y, _ in supply] + [Point(9e4, 0)],
                         crs="EPSG:25832", index=[f"F{k}" for k in range(len(supply) + 1)])
    fast, slow = _both(d, s, max_cost=radius, **kw)
    _same(fast, slow)
    assert "F" + str(len(supply)) in fast.report.unused_supply


def test_kernel_boundary_and_cell_borders_by_hand():
    # radius 1000, cells of 500: demand at exactly 1000 m (3-4-5: 600, 800) and on cell borders
    demand = gpd.GeoDataFrame(
        {"P": [10, 20, 30, 0]},
        geometry=[Point(600, 800), Point(1000, 0), Point(1000.0000001, 0), Point(500, 500)],
        crs="EPSG:25833")
    supply = gpd.GeoDataFrame({"S": [6, 3]}, geometry=[Point(0, 0), Point(5000, 0)],
                              crs="EPSG:25833")
    fast, slow = _both(demand, supply, method="2sfca", max_cost=1000)
    _same(fast, slow)
    # in reach: 600/800 (1000 m, the limit counts), 1000/0, 500/500; not 1000.0000001
    assert fast.scores.tolist() == [0.2, 0.2, 0.0, 0.2]
    assert fast.report.n_pairs == 3


@pytest.mark.parametrize("n", [6000, 1500, 300])
def test_kernel_2sfca_whole_cells(n):
    # 2SFCA counts cells wholly within the radius by their sums (cells of max_cost / 8,
    # 4 or 2 by density) and tests only the points of cells on the circle: same as the
    # pairs, with points on cell borders, at exactly the radius and at UTM magnitudes
    rng = np.random.default_rng(n)
    radius, side = 700.0, 2100.0
    lattice = rng.integers(0, 25, (n // 2, 2)) * (radius / 8)  # cell borders, 3-4-5 pairs
    xy = np.r_[lattice, rng.uniform(0, side, (n - n // 2, 2))] + [391_000.0, 5_819_000.0]
    fxy = np.r_[rng.integers(0, 25, (15, 2)) * (radius / 8),
                rng.uniform(0, side, (25, 2))] + [391_000.0, 5_819_000.0]
    demand = gpd.GeoDataFrame({"P": rng.integers(0, 50, n).astype(float)}, crs="EPSG:25833",
                              geometry=gpd.points_from_xy(*xy.T))
    demand.loc[demand.index[:5], "P"] = [1e9, 0.0, 1e-6, 3.0, 0.5]
    supply = gpd.GeoDataFrame({"S": rng.integers(0, 90, 40).astype(float)}, crs="EPSG:25833",
                              geometry=gpd.points_from_xy(*fxy.T))
    fast, slow = _both(demand, supply, method="2sfca", max_cost=radius)
    _same(fast, slow)
    assert fast.report.n_pairs > 0
    # 3-4-5 triangles: pairs at exactly the radius count, one step beyond does not
    d2 = gpd.GeoDataFrame({"P": [4.0, 6.0]}, crs="EPSG:25833", geometry=gpd.points_from_xy(
        [391_420.0, np.nextafter(391_700.0, 1e9)], [5_819_560.0, 5_819_000.0]))
    s2 = supply.iloc[:1].set_geometry(gpd.points_from_xy([391_000.0], [5_819_000.0]))
    s2["S"] = 5.0
    fast, slow = _both(pd.concat([d2, demand.iloc[5:]]), s2, method="2sfca", max_cost=radius)
    _same(fast, slow)
    assert fast.scores.iloc[0] > 0 and fast.scores.iloc[1] == 0

def test_kernel_sparse_cells_polygons_and_errors():
    # two clusters 2,000 km apart with a 10 m radius: too many cells for a dense index,
    # so the kernel binary-searches the sorted cells
    rng = np.random.default_rng(1)
    xy = np.r_[rng.uniform(0, 40, (50, 2)), rng.uniform(0, 40, (50, 2)) + 2e6]
    demand = gpd.GeoDataFrame({"P": rng.integers(0, 9, 100)}, crs="EPSG:25833",
                              geometry=gpd.points_from_xy(*xy.T))
    fxy = np.r_[rng.uniform(0, 40, (5, 2)), rng.uniform(0, 40, (5, 2)) + 2e6]
    supply = gpd.GeoDataFrame({"S": rng.integers(1, 9, 10)}, crs="EPSG:25833",
                              geometry=gpd.points_from_xy(*fxy.T))
    assert (2e6 / 5) ** 2 > kernel.DENSE_CELLS
    for kw in ({"method": "2sfca"}, {"method": "g2sfca", "decay": 5.0}):
        fast, slow = _both(demand, supply, max_cost=10, **kw)
        _same(fast, slow)
        assert fast.report.n_pairs > 0
    # polygons count at a point inside, as on the pair path
    cells = demand.set_geometry(demand.buffer(3, quad_segs=2))
    _same(*_both(cells, supply, method="2sfca", max_cost=10))
    # power gravity at cost 0 is still an error, missing geometries too
    on_top = supply.set_geometry(demand.geometry.iloc[:10].to_numpy())
    with pytest.raises(ValueError, match="min_cost"):
        fca(demand, on_top, method="gravity", max_cost=10, demand_col="P", capacity="S")
    holes = demand.copy()
    holes.loc[3, "geometry"] = None
    with pytest.raises(QuartierError, match=r"1 demand row\(s\) have no geometry \(index \[3\]\)"):
        fca(holes, supply, max_cost=10, demand_col="P", capacity="S")
    # nothing on one side: zeros, as on the pair path
    _same(*_both(demand, supply.iloc[:0], method="2sfca", max_cost=10))


def test_kernel_weights_and_cells_are_numpys():
    if not kernel.AVAILABLE:
        pytest.skip("numba is not installed")
    from quartier.access.floating import _weight_spec

    d = np.r_[0.0, np.linspace(0, 2000, 4001), 500.0, np.nextafter(500.0, 1e9), 1500.0]
    for kw in ({"method": "e2sfca", "weights": {500: 1.0, 1000: 0.68, 1500: 0.22}},
               {"method": "e2sfca"},
               {"method": "gravity", "decay": 1.5, "min_cost": 1.0},
               {"method": "gravity", "decay": 0.01, "decay_kind": "exponential"},
               {"method": "g2sfca", "decay": 600.0}):
        spec = _weight_spec(max_cost=1500, **kw)
        compiled = np.array([kernel._weight(spec[0], x, *spec[1:]) for x in d])
        np.testing.assert_allclose(compiled, fca_weights(max_cost=1500, **kw)(d), rtol=1e-15,
                                   atol=0)
    # grid cells: the same floor division as costs.straight_line_pairs, on borders too
    rng = np.random.default_rng(0)
    x = np.r_[rng.uniform(-1e3, 1e6, 1000), np.arange(50) * 250.0, 1e6]
    y = np.r_[rng.uniform(5e6, 6e6, 1000), np.arange(50) * 250.0 + 5e6, 5e6]
    size = 500.0
    cells = kernel.cell_numbers(x, y, x.min(), y.min(), size, 10**6)
    expect = (((y - y.min()) // size).astype(np.int64) + 2) * 10**6 + (
        (x - x.min()) // size).astype(np.int64) + 2
    assert (cells == expect).all()
