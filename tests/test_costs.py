"""The cost interface: straight-line cost matrices and nearest, against brute force."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point

import quartier
from quartier.access.costs import cost_matrix, nearest
from quartier.errors import CRSError


def _pts(xy, index=None):
    return gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in xy], crs="EPSG:25832", index=index)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3000), st.integers(0, 3000)), min_size=0, max_size=30),
    st.lists(st.tuples(st.integers(0, 3000), st.integers(0, 3000)), min_size=0, max_size=8),
    st.floats(1, 2000),
)
def test_sparse_pairs_equal_brute_force(origins, dests, cutoff):
    o, d = _pts(origins), _pts(dests)
    cm = cost_matrix(o, d, max_cost=cutoff)
    brute = np.full((len(o), len(d)), np.nan)
    for i, (ox, oy) in enumerate(origins):
        for j, (dx, dy) in enumerate(dests):
            dist = float(np.hypot(ox - dx, oy - dy))
            if dist <= cutoff:
                brute[i, j] = dist
    assert np.allclose(cm.to_dense(), brute, equal_nan=True)
    # zero distances (origin on a facility) are kept as reachable pairs
    assert cm.n_pairs == int(np.isfinite(brute).sum())
    assert cm.to_sparse().nnz == cm.n_pairs
    if len(o) and len(d):
        near = cm.nearest()
        expected = np.where(np.isfinite(brute).any(axis=1), np.nanmin(np.where(np.isfinite(brute), brute, np.inf), axis=1), np.nan)
        assert np.allclose(near["cost"], expected, equal_nan=True)
        direct = nearest(o, d, max_cost=cutoff)
        assert np.allclose(direct["cost"], expected, equal_nan=True)


def test_labels_and_unreachable_are_explicit():
    o = _pts([(0, 0), (5000, 0)], index=["a", "b"])
    d = _pts([(100, 0), (200, 0)], index=["X", "Y"])
    near = cost_matrix(o, d, max_cost=500).nearest()
    assert near.loc["a", "nearest"] == "X" and near.loc["a", "cost"] == 100.0
    assert near.loc["b", "nearest"] is None and np.isnan(near.loc["b", "cost"])
    frame = cost_matrix(o, d, max_cost=500).to_frame()
    assert frame.to_dict("list") == {"origin": ["a", "a"], "destination": ["X", "Y"], "cost": [100.0, 200.0]}


def test_bad_inputs():
    o = _pts([(0, 0)])
    with pytest.raises(ValueError, match="greater than 0"):
        cost_matrix(o, o, max_cost=0)
    with pytest.raises(CRSError, match="degrees"):
        cost_matrix(o.to_crs(4326), o.to_crs(4326), max_cost=10)
    with pytest.raises(CRSError, match="to_crs"):
        nearest(o, o.to_crs(25833))


@pytest.mark.parametrize("bad", [float("inf"), float("nan"), 1e300, 0, -1, "500", True])
def test_reach_must_be_a_finite_positive_plausible_number(bad):
    """One check where the reach enters: no NaN, inf or absurd value reaches a kernel."""
    from quartier.errors import ParameterError

    pts = gpd.GeoDataFrame({"n": [1]}, geometry=[Point(0, 0)], crs="EPSG:25832")
    for call in (
        lambda: quartier.cost_matrix(pts, pts, max_cost=bad),
        lambda: quartier.coverage(pts, pts, max_cost=bad, demand_col="n"),
        lambda: quartier.fca(pts, pts, max_cost=bad, demand_col="n", capacity="n"),
        lambda: quartier.maximal_coverage(pts, pts, p=1, max_cost=bad, demand_col="n"),
    ):
        with pytest.raises(ParameterError, match="max_cost") as caught:
            call()
        assert isinstance(caught.value, ValueError)
