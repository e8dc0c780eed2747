"""Issue #11: analysis results carry their reports; nothing rides on DataFrame.attrs.

Results stay right when frames are concatenated, sorted or merged (attrs would not survive
that reliably), and no public function of areas/, access/ or planning/ writes attrs.
"""

from __future__ import annotations

import dataclasses
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point, box

import quartier
from quartier.errors import ColumnError, QuartierWarning

CRS = "EPSG:25833"


def _facility_table(xs, places, y=0.0):
    return pd.DataFrame({"x": xs, "y": [y] * len(xs), "plaetze": places})


def _line_demand():
    return gpd.GeoDataFrame({"P": [100, 200, 50]}, crs=CRS, index=["i1", "i2", "i3"],
                            geometry=[Point(0, 0), Point(600, 0), Point(1500, 0)])


def _districts():
    return gpd.GeoDataFrame({"id": ["W", "O"], "u6": [100, 300]}, crs=CRS,
                            geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)])


def test_fca_on_concatenated_read_facilities_frames():
    # two facility files read with capacity, then concatenated: the capacity is passed
    # explicitly, so the scores are the hand-calculated ones (R1 = 0.2, R2 = 0.12)
    # (read where Berlin's EPSG:25833 coordinates are: readers refuse numbers outside the CRS)
    x0, y0 = 390_000.0, 5_820_000.0
    a = quartier.read_facilities(_facility_table([x0 + 300.0], [60], y0), x="x", y="y",
                                 crs=CRS, source_crs=CRS, capacity="plaetze")
    b = quartier.read_facilities(_facility_table([x0 + 1200.0], [30], y0), x="x", y="y",
                                 crs=CRS, source_crs=CRS, capacity="plaetze")
    both = pd.concat([a, b], ignore_index=True)
    demand = _line_demand()
    demand = demand.set_geometry(demand.translate(x0, y0))
    res = quartier.fca(demand, both, max_cost=1000, demand_col="P", capacity="plaetze")
    assert isinstance(res, quartier.FCAResult)
    assert np.allclose(res.scores, [0.2, 0.32, 0.12], rtol=1e-12)
    assert res.scores.name == "2sfca" and res.scores.index.tolist() == ["i1", "i2", "i3"]
    assert np.allclose(res.report.ratios, [0.2, 0.12])
    assert res.report.capacity == "plaetze" and res.report.n_pairs == 4
    # capacity=None: every facility is one place (R1 = 1/300, R2 = 1/250), whatever
    # read_facilities may have recorded; there is no fallback to a recorded capacity
    ones = quartier.fca(demand, both, max_cost=1000, demand_col="P", capacity=None)
    assert np.allclose(ones.scores, [1 / 300, 1 / 300 + 1 / 250, 1 / 250], rtol=1e-12)
    assert not res.scores.attrs and not ones.scores.attrs


def test_fca_capacity_is_required_and_checked():
    fac = gpd.GeoDataFrame({"plaetze": [60]}, geometry=[Point(300, 0)], crs=CRS)
    with pytest.raises(TypeError, match="capacity"):
        quartier.fca(_line_demand(), fac, max_cost=1000, demand_col="P")  # no default
    with pytest.raises(ColumnError, match="capacity column 'places'"):
        quartier.fca(_line_demand(), fac, max_cost=1000, demand_col="P", capacity="places")
    with pytest.raises(TypeError, match="capacity"):
        quartier.supply(_districts(), fac, demand_col="u6", by_key="id")


def test_results_are_frozen():
    res = quartier.fca(_line_demand(), gpd.GeoDataFrame(geometry=[Point(300, 0)], crs=CRS),
                       max_cost=1000, demand_col="P", capacity=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.scores = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.report.method = "e2sfca"
    assert "FCAResult(method=2sfca" in repr(res) and "<pre>" in res._repr_html_()


def test_sorting_coverage_districts_keeps_numbers_with_their_keys():
    homes = gpd.GeoDataFrame({"ew": [10, 20, 30, 40]}, crs=CRS,
                             geometry=[Point(100, 500), Point(900, 500), Point(1500, 500),
                                       Point(1900, 500)])
    fac = gpd.GeoDataFrame(geometry=[Point(0, 500)], crs=CRS)
    res = quartier.coverage(homes, fac, max_cost=500, demand_col="ew", by=_districts(),
                            by_key="id")
    assert res.report.key == "id" and res.report.demand_total == 100.0
    assert res.report.covered_total == 10.0
    ordered = res.districts.sort_values("share_covered")  # O (0 %) first, then W (1/3)
    assert ordered["id"].tolist() == ["O", "W"]
    assert ordered.set_index("id")["population"].to_dict() == {"O": 70.0, "W": 30.0}
    assert ordered.set_index("id")["covered_population"].to_dict() == {"O": 0.0, "W": 10.0}
    # merging onto other indicators by the key keeps each district's numbers
    other = pd.DataFrame({"id": ["W", "O"], "sgb2": [5.0, 9.0]})
    merged = other.merge(ordered[["id", "share_covered"]], on="id")
    assert merged.set_index("id")["share_covered"].round(4).to_dict() == {"W": 0.3333, "O": 0.0}
    assert not res.units.attrs and not res.districts.attrs and not res.unassigned.attrs


def test_coverage_needs_by_key_and_reports_area_fallback():
    homes = gpd.GeoDataFrame({"ew": [10]}, geometry=[Point(100, 500)], crs=CRS)
    fac = gpd.GeoDataFrame(geometry=[Point(0, 500)], crs=CRS)
    d = _districts()
    d.attrs["quartier_key"] = "id"  # a stale recorded key is not used any more
    with pytest.raises(ColumnError, match="by_key="):
        quartier.coverage(homes, fac, max_cost=500, demand_col="ew", by=d)
    grid = gpd.GeoDataFrame({"pop": [5.0]}, geometry=[Point(500, 500)], crs=CRS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        res = quartier.coverage(_districts(), fac, max_cost=500, demand_col="u6",
                                population=grid, population_col="pop")
    assert res.report.area_fallback == [1]
    assert not res.samples.attrs
    assert "area" in res.report.text(lang="en")


def test_supply_result_concat_and_sort():
    d = _districts()
    kita = gpd.GeoDataFrame({"places": [50, 20]}, crs=CRS,
                            geometry=[Point(900, 500), Point(5000, 500)])
    with pytest.warns(QuartierWarning, match="lie in no district"):
        res = quartier.supply(d, kita, demand_col="u6", capacity="places", by_key="id",
                              max_cost=1000, norm_per_1000=350)
    assert isinstance(res, quartier.SupplyResult)
    assert res.report.unassigned_facilities == [1] and res.report.key == "id"
    assert res.report.fca.method == "2sfca" and res.report.capacity == "places"
    assert not res.table.attrs
    # two runs (two services) stacked, then sorted by deficit: rows keep their keys
    other = quartier.supply(d, kita.iloc[:1], demand_col="u6", capacity=None, by_key="id",
                            norm_per_1000=350)
    stacked = pd.concat([res.table.assign(service="Kitas"), other.table.assign(service="Tagespflege")],
                        ignore_index=True).sort_values("deficit", ascending=False)
    top = stacked.iloc[0]
    assert (top["service"], top["id"], top["deficit"]) == ("Kitas", "O", 105.0)
    by = stacked.set_index(["service", "id"])["places"]
    assert by[("Kitas", "W")] == 50.0 and by[("Tagespflege", "W")] == 1.0
    gaps = quartier.supply_gaps(res, lang="de")
    assert "Fehlbedarf (Plätze)" in gaps.columns and not gaps.attrs


def test_interpolation_and_raster_results_keep_values_when_sorted(tmp_path):
    old = gpd.GeoDataFrame({"plr": ["A", "B"], "ew": [1000, 3000]}, crs=CRS,
                           geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)])
    new = gpd.GeoDataFrame({"plr": ["X", "Y"]}, crs=CRS,
                           geometry=[box(0, 0, 150, 100), box(150, 0, 200, 100)])
    res = quartier.area_interpolate(old, new, extensive="ew", source_key="plr", target_key="plr")
    assert isinstance(res, quartier.InterpolationResult) and res.report.complete
    ordered = res.table.sort_values("ew")
    assert ordered.set_index("plr")["ew"].to_dict() == {"Y": 1500.0, "X": 2500.0}
    assert not res.table.attrs
    cells = gpd.GeoDataFrame({"people": [20, 10]}, geometry=[Point(50, 50), Point(150, 50)],
                             crs=CRS)
    dasy = quartier.dasymetric_interpolate(old, new, extensive="ew", population=cells,
                                           population_col="people", target_key="plr")
    assert not dasy.table.attrs and dasy.report.method == "population"
    w = quartier.interpolation_weights(old, new, population=cells, population_col="people",
                                     target_key="plr")
    again = quartier.dasymetric_interpolate(old, new, extensive="ew", weights=w,
                                            target_key="plr")
    assert again.table["ew"].tolist() == dasy.table["ew"].tolist()

    rasterio = pytest.importorskip("rasterio")
    from affine import Affine

    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "grid.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=1, count=1, dtype="int32",
                       crs=CRS, nodata=-1, transform=Affine(100, 0, 0, 0, -100, 100)) as dst:
        dst.write(np.array([[7, 3]], dtype="int32"), 1)
    sums = quartier.raster_sums(path, old, key="plr")
    assert isinstance(sums, quartier.RasterResult) and sums.report.key == "plr"
    assert sums.table.sort_values("raster_sum").set_index("plr")["raster_sum"].to_dict() == {
        "B": 3.0, "A": 7.0}
    assert not sums.table.attrs and not quartier.raster_cells(path).attrs


def test_no_public_function_writes_attrs():
    d = _districts()
    fac = gpd.GeoDataFrame({"plaetze": [50]}, geometry=[Point(900, 500)], crs=CRS)
    cov = quartier.coverage(d, fac, max_cost=500, demand_col="u6", by=d, by_key="id",
                            demand_kind="districts")
    for frame in (cov.units, cov.districts, cov.unassigned, cov.samples):
        assert not frame.attrs
    gaps = quartier.coverage_gaps(cov, lang="en")
    assert not gaps.attrs and not quartier.label_columns(gaps).attrs
    table = quartier.service_table(d, {"Kitas": fac}, [
        {"service": "Kitas", "target": "u6", "max_cost": 1000, "capacity": "plaetze"}],
        by_key="id")
    assert not table.attrs
    iso = quartier.isochrones(fac, network=None, max_cost=[100, 200])
    assert not iso.attrs and iso["max_cost"].tolist() == [100.0, 200.0]
    pop = pd.DataFrame({"district": ["W", "O"], "year": 2030, "group": "u6",
                        "population": [100.0, 300.0]})
    req = quartier.required_places(pop, norm_per_1000=350)
    deficit = quartier.place_deficit(req, fac, capacity="plaetze", districts=d, key="id")
    assert not req.attrs and not deficit.attrs
    assert deficit.set_index("district")["existing_places"].to_dict() == {"W": 50.0, "O": 0.0}
    with pytest.raises(ColumnError, match="key="):
        quartier.place_deficit(req, fac, capacity="plaetze", districts=d)
    sites = gpd.GeoDataFrame(geometry=[Point(500, 500), Point(1500, 500)], crs=CRS)
    homes = d.set_geometry(d.representative_point())
    siting = quartier.maximal_coverage(homes, sites, p=1, max_cost=600, demand_col="u6")
    for layer in siting.layers().values():
        assert not layer.attrs
    assert siting.metadata["status"] == siting.status
    assert siting.styles == {"standorte": "population_assigned"}
