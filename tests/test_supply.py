"""Places per 1,000 against a Richtwert: hand calculation, Berlin Kitas against independent sums."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, box

import quartier
from quartier.access.provision import supply
from quartier.errors import QuartierWarning


def _city():
    # W and O, 1 km x 1 km each; 100 children in W (at 500,500), 300 in O (at 1500,500)
    d = gpd.GeoDataFrame(
        {"id": ["W", "O"], "u6": [100, 300]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs="EPSG:25833")
    kitas = gpd.GeoDataFrame(
        {"plaetze": [50, 30, 20]},
        geometry=[Point(900, 500), Point(100, 500), Point(5000, 500)], crs="EPSG:25833")
    return d, kitas


def test_hand_calculation_located_and_in_reach():
    d, kitas = _city()
    with pytest.warns(QuartierWarning, match="lie in no district"):
        res = supply(d, kitas, demand_col="u6", capacity="plaetze", by_key="id", max_cost=1000,
                     norm_per_1000=300)
    out = res.table
    o = out.set_index("id")
    # located: W holds 50 + 30 = 80 places -> 800 per 1,000; O none; the third Kita is outside
    assert o["places"].tolist() == [80.0, 0.0] and o["facilities"].tolist() == [2, 0]
    assert o["places_per_1000"].tolist() == [800.0, 0.0]
    assert res.report.unassigned_facilities == [2]
    # in reach (2SFCA, 1 km, points at the district centres 500,500 and 1500,500):
    # K1 (900): W 400 m, O 600 m -> R1 = 50 / 400 = 0.125
    # K2 (100): W 400 m, O 1400 m -> R2 = 30 / 100 = 0.3 ; K3 reaches nobody
    # A_W = 0.125 + 0.3 = 0.425 -> 42.5 places ; A_O = 0.125 -> 37.5 places
    assert np.allclose(o["places_in_reach"], [42.5, 37.5])
    assert np.allclose(o["places_in_reach_per_1000"], [425, 125])
    # reachable (not shared): W reaches 80 places, O 50
    assert np.allclose(o["places_reachable_mean"], [80, 50])
    # Richtwert 300 per 1,000: W needs 30 (surplus 50), O needs 90 (deficit 90 located,
    # 90 - 37.5 = 52.5 in reach)
    assert o["required_places"].tolist() == [30.0, 90.0]
    assert o["balance"].tolist() == [50.0, -90.0] and o["deficit"].tolist() == [0.0, 90.0]
    assert np.allclose(o["deficit_in_reach"], [0, 52.5])
    assert np.allclose(o["balance_in_reach"], [12.5, -52.5])


def test_points_and_empty_districts():
    d, kitas = _city()
    pts = gpd.GeoDataFrame({"u6": [60, 40, 0]},
                           geometry=[Point(500, 500), Point(700, 300), Point(9000, 9000)],
                           crs="EPSG:25833")
    nobody = pd.concat([d, gpd.GeoDataFrame({"id": ["N"], "u6": [0]},
                                            geometry=[box(2000, 0, 3000, 1000)],
                                            crs="EPSG:25833")], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        out = supply(pts, kitas, demand_col="u6", capacity="plaetze", by=nobody, by_key="id",
                     norm_per_1000=500).table
        ones = supply(pts, kitas, demand_col="u6", capacity=None, by=nobody, by_key="id").table
    o = out.set_index("id")
    assert o.loc["W", "population"] == 100 and o.loc["O", "population"] == 0
    assert np.isnan(o.loc["N", "places_per_1000"])  # nobody lives there: no rate
    assert o.loc["W", "deficit"] == 0 and o.loc["O", "deficit"] == 0
    # without a capacity every facility counts as one place
    assert ones.set_index("id").loc["W", "places"] == 2
    # without by, point demand gives one row per point
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        per_point = supply(pts, kitas, demand_col="u6", capacity=None, max_cost=600).table
    assert len(per_point) == 3 and "places" not in per_point


def test_errors():
    d, kitas = _city()
    with pytest.raises(ValueError, match="norm_per_1000"):
        supply(d, kitas, demand_col="u6", capacity=None, by_key="id", norm_per_1000=-1)
    with pytest.raises(quartier.ColumnError, match="places"):
        supply(d, kitas, demand_col="u6", capacity="places", by_key="id")
    with pytest.raises(quartier.QuartierError, match="by_key"):
        supply(d.drop(columns=[]), kitas, demand_col="u6", capacity=None)


def test_berlin_kitas_per_planungsraum(berlin_plr_population, berlin_kitas):
    access = pytest.importorskip("access")
    joined, kitas = berlin_plr_population, berlin_kitas
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        out = supply(joined, kitas, demand_col="inhabitants_age_below_6", capacity="places",
                     by_key="PLR_ID", max_cost=1500, norm_per_1000=700).table
    # located: independent point-in-polygon with shapely
    geoms = joined.geometry.to_numpy()
    owner = np.full(len(kitas), -1)
    pts = kitas.geometry.to_numpy()
    for k, g in enumerate(geoms):
        owner[shapely.contains(g, pts) & (owner < 0)] = k
    located = np.bincount(owner[owner >= 0], weights=kitas["places"].to_numpy()[owner >= 0],
                          minlength=len(joined))
    assert np.allclose(out["places"], located)
    assert out["places"].sum() + kitas["places"].to_numpy()[owner < 0].sum() == kitas["places"].sum()
    # in reach: P_i * A_i with PySAL access' 2SFCA on the identical pairs
    from quartier.access.costs import cost_matrix

    points = joined.set_geometry(joined.representative_point())
    cm = cost_matrix(points, kitas, max_cost=1500)
    acc = access.Access(
        demand_df=pd.DataFrame({"p": points["inhabitants_age_below_6"]}).rename_axis("g"),
        demand_index=True, demand_value="p",
        supply_df=pd.DataFrame({"s": kitas["places"]}).rename_axis("g"), supply_index=True,
        supply_value="s", cost_df=cm.to_frame(), cost_origin="origin",
        cost_dest="destination", cost_name="cost")
    a = acc.two_stage_fca(name="x", max_cost=1500)["x_s"].reindex(joined.index).fillna(0)
    expected = joined["inhabitants_age_below_6"].to_numpy() * a.to_numpy()
    assert np.allclose(out["places_in_reach"], expected, rtol=1e-9)
    # deficits are never negative and match the Richtwert arithmetic
    assert (out["deficit"] >= 0).all()
    assert np.allclose(out["required_places"], out["population"] * 0.7)
    assert np.allclose(out["balance"], out["places"] - out["required_places"])


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, 400), min_size=2, max_size=2),
    st.lists(st.tuples(st.floats(0, 2000), st.floats(0, 1000), st.integers(0, 90)),
             min_size=1, max_size=5),
    st.floats(100, 3000),
)
def test_places_in_reach_never_exceed_places(counts, fac, radius):
    d, _ = _city()
    d = d.assign(u6=counts)
    k = gpd.GeoDataFrame({"p": [c for *_, c in fac]},
                         geometry=[Point(x, y) for x, y, _ in fac], crs="EPSG:25833")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        out = supply(d, k, demand_col="u6", capacity="p", by_key="id", max_cost=radius,
                     norm_per_1000=100).table
    assert out["places_in_reach"].sum() <= k["p"].sum() + 1e-9
    assert (out["deficit_in_reach"] >= 0).all() and (out["deficit"] >= 0).all()
