"""Partitions with a halo (issue #17, part 3): forced small tiles give the unpartitioned result."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
from scipy.spatial import cKDTree

from quartier.access.covering import coverage
from quartier.access.floating import fca
from quartier.batch._partitions import partitioned_coverage, partitioned_fca, tiles
from quartier.errors import QuartierWarning


@pytest.fixture(scope="module")
def city():
    """Clustered demand points and facilities on about 6 km x 6 km (UTM 32N)."""
    rng = np.random.default_rng(17)
    centres = rng.uniform(0, 6000, size=(12, 2))
    xy = np.concatenate([c + rng.normal(0, 400, size=(250, 2)) for c in centres])
    demand = gpd.GeoDataFrame(
        {"ew": rng.integers(0, 40, len(xy)).astype(float)},
        geometry=gpd.points_from_xy(xy[:, 0] + 560000, xy[:, 1] + 5930000), crs="EPSG:25832")
    fxy = rng.uniform(0, 6000, size=(40, 2))
    facilities = gpd.GeoDataFrame(
        {"plaetze": rng.integers(10, 100, len(fxy)).astype(float)},
        geometry=gpd.points_from_xy(fxy[:, 0] + 560000, fxy[:, 1] + 5930000), crs="EPSG:25832")
    return demand, facilities


def test_tiles_cover_every_unit_once(city):
    demand, _ = city
    parts = tiles(demand, 300)
    assert len(parts) > 100  # forced small partitions
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(demand)))


@pytest.mark.parametrize("size", [250.0, 700.0])
def test_partitioned_coverage_equals_the_whole(city, size):
    demand, facilities = city
    whole = coverage(demand, facilities, max_cost=500, demand_col="ew").units
    parts = partitioned_coverage(demand, facilities, max_cost=500, demand_col="ew", size=size)
    assert parts["covered"].tolist() == whole["covered"].tolist()
    assert np.array_equal(parts["covered_population"].to_numpy(),
                          whole["covered_population"].to_numpy())
    inside = whole["covered"].to_numpy()
    assert np.allclose(parts["cost"].to_numpy()[inside], whole["cost"].to_numpy()[inside],
                       rtol=0, atol=1e-9)
    assert parts["cost"][~inside].isna().all()
    # independent: a KD-tree of the facilities
    d, _ = cKDTree(np.c_[facilities.geometry.x, facilities.geometry.y]).query(
        np.c_[demand.geometry.x, demand.geometry.y])
    assert parts["covered"].to_numpy().tolist() == (d <= 500).tolist()
    assert 0 < inside.sum() < len(demand)


def test_partitioned_fca_equals_the_whole(city):
    demand, facilities = city
    with pytest.warns(QuartierWarning, match="no demand within 800"):  # a few far out
        whole = fca(demand, facilities, max_cost=800, demand_col="ew",
                    capacity="plaetze").scores
    parts = partitioned_fca(demand, facilities, max_cost=800, demand_col="ew",
                            capacity="plaetze", size=300)
    assert np.array_equal(np.isnan(parts.to_numpy()), np.isnan(whole.to_numpy()))
    assert np.allclose(parts.to_numpy(), whole.to_numpy(), rtol=1e-12, atol=1e-12,
                       equal_nan=True)
    assert (whole > 0).sum() > len(demand) // 2


def test_partitions_on_a_local_cluster(city):
    distributed = pytest.importorskip("distributed")
    demand, facilities = city
    whole = coverage(demand, facilities, max_cost=500, demand_col="ew").units
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        parts = partitioned_coverage(demand, facilities, max_cost=500, demand_col="ew",
                                     size=1000, client=client)
    assert parts["covered"].tolist() == whole["covered"].tolist()


@pytest.fixture(scope="module")
def streets():
    """A street grid of 150 m blocks over the city, in metres (and the same in minutes)."""
    from quartier import StreetNetwork

    n = 43
    gx, gy = np.meshgrid(np.arange(n) * 150.0 - 150, np.arange(n) * 150.0 - 150)
    xy = np.c_[gx.ravel() + 560000, gy.ravel() + 5930000]
    ids = np.arange(n * n).reshape(n, n)
    u = np.r_[ids[:, :-1].ravel(), ids[:-1, :].ravel()]
    v = np.r_[ids[:, 1:].ravel(), ids[1:, :].ravel()]
    return (StreetNetwork(xy, u, v, crs=25832),
            StreetNetwork(xy, u, v, crs=25832, unit="min"))


@pytest.mark.parametrize("unit, reach", [("m", 600.0), ("min", 8.0)])
def test_partitioned_network_coverage_and_fca_equal_the_whole(city, streets, unit, reach):
    demand, facilities = city
    network = streets[0] if unit == "m" else streets[1]
    with pytest.warns(QuartierWarning, match="more than 500 m from any street"):
        whole = coverage(demand, facilities, max_cost=reach, demand_col="ew",
                         network=network).units  # a few points of the clusters lie outside
    parts = partitioned_coverage(demand, facilities, max_cost=reach, demand_col="ew",
                                 size=400, network=network)
    assert parts["covered"].tolist() == whole["covered"].tolist()
    inside = whole["covered"].to_numpy()
    assert 0 < inside.sum() < len(demand)
    assert np.allclose(parts["cost"].to_numpy()[inside], whole["cost"].to_numpy()[inside],
                       rtol=0, atol=1e-9)
    # along the streets (the access legs count) is never shorter than the straight line
    d, _ = cKDTree(np.c_[facilities.geometry.x, facilities.geometry.y]).query(
        np.c_[demand.geometry.x, demand.geometry.y])
    metres = whole["cost"].to_numpy() * (1 if unit == "m" else
                                         network.profile.metres_per_minute)
    assert (metres[inside] >= d[inside] - 1e-6).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)  # far-out facilities reach no one
        scores = fca(demand, facilities, max_cost=reach, demand_col="ew",
                     capacity="plaetze", network=network).scores
    tiled = partitioned_fca(demand, facilities, max_cost=reach, demand_col="ew",
                            capacity="plaetze", size=400, network=network)
    assert np.allclose(tiled.to_numpy(), scores.to_numpy(), rtol=1e-12, atol=1e-12,
                       equal_nan=True)
    assert (scores > 0).sum() > len(demand) // 4
