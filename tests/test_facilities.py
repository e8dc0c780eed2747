"""read_facilities / read_points: GIS files, tables with lat/lon or projected columns, bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely import Point, box

import quartier
from quartier.errors import ColumnError, CRSError, InputFileError, ValueParseError


def test_care_homes_geojson_in_25833_with_capacity(shared):
    homes = quartier.read_facilities(
        shared / "berlin_facilities" / "pflegeeinrichtungen.geojson", capacity="platzzahl"
    )
    assert len(homes) == 274 and homes.crs.to_epsg() == 25833
    # the geometry agrees with the coordinate columns the office ships
    assert np.allclose(homes.geometry.x, homes["gc_xwert"], atol=0.01)
    assert np.allclose(homes.geometry.y, homes["gc_ywert"], atol=0.01)
    assert homes["platzzahl"].sum() > 20_000
    # the capacity column was checked; nothing is recorded (fca/supply take capacity=)
    assert not homes.attrs


def test_kita_csv_with_lat_lon_columns_lands_in_the_planning_crs(shared):
    path = shared / "berlin_kitas" / "berlin-daycare-centers-2026-07-details.csv"
    kitas = quartier.read_facilities(path, capacity="places", crs="EPSG:25833")
    assert len(kitas) == 2893 and kitas.crs.to_epsg() == 25833
    assert kitas["id"].str.len().eq(8).all()  # Kita numbers keep their zeros
    # independent check of one point with pyproj
    raw = pd.read_csv(path, dtype={"id": str})
    to_utm = Transformer.from_crs(4326, 25833, always_xy=True)
    x, y = to_utm.transform(raw.loc[0, "lon"], raw.loc[0, "lat"])
    assert kitas.geometry.iloc[0].distance(Point(x, y)) < 0.01
    assert kitas["places"].sum() == raw["places"].sum()


def test_osm_points_default_to_25832(shared):
    pois = quartier.read_facilities(
        shared / "berlin_osm_pois" / "berlin-points-of-interest-pharmacies-details.geojson"
    )
    assert pois.crs.to_epsg() == 25832
    assert (pois.geometry.geom_type == "Point").all()


def test_projected_columns_need_source_crs(tmp_path):
    path = tmp_path / "treffs.csv"
    path.write_text("name;rechtswert;hochwert;plaetze\nA;565000;5935000;20\nB;566000;5936000;30\n")
    with pytest.raises(CRSError, match="source_crs"):
        quartier.read_facilities(path)
    treffs = quartier.read_facilities(path, source_crs="EPSG:25832", capacity="plaetze")
    assert treffs.geometry.x.tolist() == [565000.0, 566000.0]
    assert treffs.crs.to_epsg() == 25832


def test_explicit_columns_and_swapped_lat_lon(tmp_path):
    path = tmp_path / "beratung.csv"
    path.write_text("name,breitengrad,laengengrad\nA,52.52,13.40\nB,52.50,13.35\n")
    with pytest.raises(ColumnError, match="no coordinate columns found.*x="):
        quartier.read_facilities(path)
    ok = quartier.read_facilities(path, x="laengengrad", y="breitengrad", crs=25833)
    assert ok.crs.to_epsg() == 25833
    with pytest.raises(CRSError, match="look swapped.*x='laengengrad', y='breitengrad'"):
        quartier.read_facilities(path, x="breitengrad", y="laengengrad")


def test_missing_coordinates_are_named_by_line(tmp_path):
    path = tmp_path / "kitas.csv"
    path.write_text("name,lat,lon\nA,52.52,13.40\nB,,\nC,52.50,13.35\n")
    with pytest.raises(ValueParseError) as err:
        quartier.read_facilities(path)
    assert "1 facility" in str(err.value) and "'3'" in str(err.value)  # file line 3
    assert "geocode" in str(err.value)


def test_bad_capacity_column(tmp_path):
    path = tmp_path / "heime.csv"
    path.write_text("name,lat,lon,plaetze\nA,52.52,13.40,80\nB,52.50,13.35,-5\n")
    with pytest.raises(ColumnError, match="capacity column 'places' not found"):
        quartier.read_facilities(path, capacity="places")
    with pytest.raises(ValueParseError, match="negative"):
        quartier.read_facilities(path, capacity="plaetze")


def test_geographic_planning_crs_and_missing_file(tmp_path, shared):
    with pytest.raises(CRSError, match="degrees"):
        quartier.read_facilities(
            shared / "berlin_facilities" / "pflegeeinrichtungen.geojson", crs=4326
        )
    with pytest.raises(InputFileError, match="does not exist"):
        quartier.read_facilities(tmp_path / "nichts.geojson")
    (tmp_path / "liste.pdf").write_text("%PDF")
    with pytest.raises(InputFileError, match="Supported are"):
        quartier.read_facilities(tmp_path / "liste.pdf")


def test_polygons_become_points_inside(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"name": ["Haus"]}, geometry=[box(500_000, 5_800_000, 500_100, 5_800_050)],
        crs="EPSG:25832"
    )
    path = tmp_path / "gebaeude.gpkg"
    gdf.to_file(path)
    with pytest.warns(quartier.QuartierWarning, match="polygons"):
        pts = quartier.read_facilities(path)
    assert pts.geometry.iloc[0].within(box(500_000, 5_800_000, 500_100, 5_800_050))


def test_read_points_zensus_cells_in_3035(shared):
    cells = quartier.read_points(
        shared / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus_cells.csv",
        x="x", y="y", source_crs="EPSG:3035", crs="EPSG:25833",
    )
    assert cells.crs.to_epsg() == 25833
    raw = pd.read_csv(shared / "zensus2011_grid" / "berlin_zensus2011_100m_age_80plus_cells.csv")
    assert len(cells) == len(raw) and cells["value"].sum() == raw["value"].sum()
    assert not cells.attrs  # readers record nothing on the frame
