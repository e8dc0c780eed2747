"""Raster sums per district and raster cells, checked against the Zensus cell CSVs."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from shapely import box

import quartier
from quartier.areas.rasters import RasterReport, raster_cells, raster_sums
from quartier.errors import ColumnError, CRSError, InputFileError, QuartierWarning


@pytest.fixture(scope="module")
def berlin(shared):
    grid = shared / "zensus2011_grid"
    plr = quartier.read_districts(shared / "berlin_lor" / "lor_planungsraeume_2021.shp",
                                  key="PLR_ID", key_width=8)
    assert plr.crs.to_epsg() == 25833
    return {
        "plr": plr,
        "tif": grid / "berlin_zensus2011_100m_age_80plus.tif",
        "csv": grid / "berlin_zensus2011_100m_age_80plus_cells.csv",
    }


def test_zensus_tif_sums_per_planungsraum_agree_with_the_cell_csv(berlin):
    plr = berlin["plr"]
    with rasterio.open(berlin["tif"]) as src:
        assert src.crs.to_epsg() == 3035  # districts are in EPSG:25833
    with pytest.warns(QuartierWarning, match="outside every district"):
        res = raster_sums(berlin["tif"], plr, key="PLR_ID", column="ew80")
    sums = res.table
    assert sums.crs == plr.crs and sums.index.equals(plr.index)
    assert sums["PLR_ID"].tolist() == plr["PLR_ID"].tolist()

    # independent: the published cell centres (x, y in EPSG:3035), read as a user would,
    # reprojected to the planning CRS, point-in-polygon with geopandas
    cells = quartier.read_points(berlin["csv"], x="x", y="y", source_crs="EPSG:3035",
                                 crs=plr.crs)
    joined = gpd.sjoin(cells, plr[["PLR_ID", "geometry"]], predicate="within")
    assert not joined.index.duplicated().any()
    expected = joined.groupby("PLR_ID")["value"].sum().reindex(plr["PLR_ID"], fill_value=0)
    np.testing.assert_array_equal(sums["ew80"].to_numpy(), expected.to_numpy())
    counted = joined.groupby("PLR_ID").size().reindex(plr["PLR_ID"], fill_value=0)
    np.testing.assert_array_equal(sums["ew80_cells"].to_numpy(), counted.to_numpy())

    report = res.report
    assert isinstance(report, RasterReport)
    assert report.in_districts == sums["ew80"].sum()
    assert report.in_districts + report.outside == report.read_total
    # what lies outside every Planungsraum is at most what the CSV has outside them (the
    # read covers the bounding box of the districts, not the whole raster)
    outside_csv = cells["value"].sum() - joined["value"].sum()
    assert 0.9 * outside_csv < report.outside <= outside_csv
    assert report.outside_cells > 0 and "outside every district" in report.text(lang="en")


def test_all_touched_adds_only_cells_no_district_had(berlin):
    plr = berlin["plr"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        centre_res = raster_sums(berlin["tif"], plr, key="PLR_ID")
        touched_res = raster_sums(berlin["tif"], plr, key="PLR_ID", all_touched=True)
    centre, touched = centre_res.table, touched_res.table
    a, b = centre_res.report, touched_res.report
    assert (touched["raster_sum"] >= centre["raster_sum"]).all()
    assert b.in_districts > a.in_districts and b.outside < a.outside
    assert b.in_districts + b.outside == b.read_total == a.read_total


def test_raster_cells_match_the_csv(berlin):
    cells = raster_cells(berlin["tif"], crs="EPSG:25833")
    csv = quartier.read_points(berlin["csv"], x="x", y="y", source_crs="EPSG:3035")
    csv = csv[csv["value"] > 0]
    assert cells.crs.to_epsg() == 25833
    assert len(cells) == len(csv) and cells["value"].sum() == csv["value"].sum()
    native = raster_cells(berlin["tif"])
    assert native.crs.to_epsg() == 3035
    got = sorted(zip(native.geometry.x, native.geometry.y, native["value"], strict=True))
    want = sorted(zip(csv["x"].astype(float), csv["y"].astype(float), csv["value"], strict=True))
    assert got == want


# --------------------------------------------------------------------------- synthetic


def write_raster(path, data, *, crs="EPSG:3035", nodata=-1, dtype=None):
    data = np.asarray(data)
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=dtype or data.dtype, crs=crs, nodata=nodata,
                       transform=Affine(100, 0, 4550000, 0, -100, 3270000)) as dst:
        dst.write(data, 1)
    return path


def test_float_raster_with_nan_and_nodata(tmp_path):
    path = write_raster(tmp_path / "f.tif", np.array([[1.5, np.nan], [-9.0, 2.0]]),
                        nodata=-9.0, dtype="float64")
    d = gpd.GeoDataFrame({"id": ["all"]}, geometry=[box(4550000, 3269800, 4550200, 3270000)],
                         crs="EPSG:3035")
    res = raster_sums(path, d.to_crs("EPSG:25833"), key="id")
    out = res.table
    assert out["raster_sum"].tolist() == [3.5] and out["raster_sum_cells"].tolist() == [2]
    assert res.report.nodata_cells == 2
    assert raster_cells(path)["value"].tolist() == [1.5, 2.0]


def test_raster_errors(tmp_path):
    d = gpd.GeoDataFrame({"id": ["a"]}, geometry=[box(4550000, 3269900, 4550100, 3270000)],
                         crs="EPSG:3035")
    path = write_raster(tmp_path / "g.tif", np.array([[1]], dtype="int32"))
    with pytest.raises(InputFileError, match="does not exist"):
        raster_sums(tmp_path / "nope.tif", d)
    with pytest.raises(quartier.ParameterError, match="1 band.*band=2"):
        raster_sums(path, d, band=2)
    with pytest.raises(ColumnError, match="key column 'ID' not found.*'id'"):
        raster_sums(path, d, key="ID")
    with pytest.raises(ColumnError, match="already have a column 'id'"):
        raster_sums(path, d, column="id")
    with pytest.raises(CRSError, match="districts have no coordinate"):
        raster_sums(path, d.set_crs(None, allow_override=True))
    text = tmp_path / "t.tif"
    text.write_text("not a raster")
    with pytest.raises(InputFileError, match="cannot be read as a raster"):
        raster_cells(text)
    no_crs = tmp_path / "n.tif"
    with rasterio.open(no_crs, "w", driver="GTiff", width=1, height=1, count=1,
                       dtype="int32", transform=Affine(1, 0, 0, 0, -1, 1)) as dst:
        dst.write(np.array([[1]], dtype="int32"), 1)
    with pytest.raises(CRSError, match="no coordinate reference system.*EPSG:3035"):
        raster_cells(no_crs)
    with pytest.raises(CRSError, match="geographic"):
        raster_cells(path, crs="EPSG:4326")


def test_districts_outside_the_raster_get_zero(tmp_path):
    path = write_raster(tmp_path / "g.tif", np.array([[4]], dtype="int32"))
    far = gpd.GeoDataFrame({"id": ["far"]}, geometry=[box(0, 0, 10, 10)], crs="EPSG:3035")
    out = raster_sums(path, far).table
    assert out["raster_sum"].tolist() == [0.0]
