"""read_districts on real Berlin and Hamburg data, and on every kind of bad input."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import Polygon, box

import quartier
from quartier.errors import ColumnError, CRSError, DistrictKeyError, InputFileError


@pytest.fixture(scope="module")
def plr(shared):
    return quartier.read_districts(
        shared / "berlin_lor" / "lor_planungsraeume_2021.shp", key="PLR_ID", name="PLR_NAME"
    )


#: synthetic districts lie where EPSG:25832/25833 coordinates of a German city do
X0, Y0 = 500_000, 5_800_000

def test_berlin_planungsraeume_keep_their_metric_crs_and_string_keys(plr):
    assert len(plr) == 542
    assert plr.crs.to_epsg() == 25833  # the file's own metric CRS is kept
    assert plr["PLR_ID"].map(type).eq(str).all()
    assert plr["PLR_ID"].str.len().eq(8).all()
    assert plr["PLR_ID"].str.startswith("0").sum() > 0  # leading zeros survived
    # key and name are checked and kept as columns; nothing is recorded in attrs (the key
    # and name column are passed on explicitly: by_key=, left_on=, name_col=)
    assert {"PLR_ID", "PLR_NAME"} <= set(plr.columns)
    assert not plr.attrs
    # areas in m² agree with the GROESSE_M2 attribute the office ships
    assert (plr.area / plr["GROESSE_M2"]).between(0.999, 1.001).all()


def test_geojson_in_wgs84_is_projected_to_the_default_crs(shared):
    bezirke = quartier.read_districts(
        shared / "berlin_lor" / "berlin-lor-districts.geojson", key="id", name="name"
    )
    assert bezirke.crs.to_epsg() == 25832
    assert sorted(bezirke["id"]) == [f"{i:02d}" for i in range(1, 13)]
    # Berlin covers about 891 km²
    assert 880e6 < bezirke.area.sum() < 900e6


def test_crs_argument_chooses_the_planning_crs(shared):
    stadtteile = quartier.read_districts(
        shared / "hamburg_geometries" / "hamburg-district-regions.geojson",
        key="id", name="name", crs="EPSG:25832",
    )
    assert stadtteile.crs.to_epsg() == 25832
    assert len(stadtteile) == 104
    assert stadtteile["id"].str.len().eq(4).all()


def test_geographic_crs_given_is_an_error_naming_the_fix(shared):
    with pytest.raises(CRSError) as err:
        quartier.read_districts(
            shared / "berlin_lor" / "lor_planungsraeume_2021.shp", key="PLR_ID", crs="EPSG:4326"
        )
    text = str(err.value)
    assert "EPSG:4326" in text and "degrees" in text and "EPSG:25832" in text


def test_missing_file_names_path_and_suggests_close_names(shared):
    wrong = shared / "berlin_lor" / "lor_planungsraeume_2012.shp"
    with pytest.raises(InputFileError) as err:
        quartier.read_districts(wrong, key="PLR_ID")
    assert "lor_planungsraeume_2012.shp" in str(err.value)
    assert "lor_planungsraeume_2021.shp" in str(err.value)  # did you mean


def test_missing_key_column_lists_columns_and_a_close_match(shared):
    with pytest.raises(ColumnError) as err:
        quartier.read_districts(shared / "berlin_lor" / "lor_planungsraeume_2021.shp", key="plr_id")
    text = str(err.value)
    assert "'plr_id'" in text and "Did you mean 'PLR_ID'" in text and "PLR_NAME" in text


def test_missing_name_column_is_reported(shared):
    with pytest.raises(ColumnError, match="name column 'NAME'"):
        quartier.read_districts(
            shared / "berlin_lor" / "lor_planungsraeume_2021.shp", key="PLR_ID", name="NAME"
        )


def test_duplicate_keys_are_listed(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"sid": ["0101", "0102", "0101", "0103", "0103"]},
        geometry=[box(i, 0, i + 1, 1) for i in range(5)],
        crs="EPSG:25832",
    )
    path = tmp_path / "stadtteile.gpkg"
    gdf.to_file(path)
    with pytest.raises(DistrictKeyError) as err:
        quartier.read_districts(path, key="sid")
    text = str(err.value)
    assert "2 key(s)" in text and "'0101'" in text and "'0103'" in text and "'0102'" not in text
    assert "stadtteile.gpkg" in text and "dissolve" in text


def test_key_width_repairs_numeric_keys_and_rejects_too_long(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"nr": [101, 2202, 11000]}, geometry=[box(X0 + i, Y0, X0 + i + 1, Y0 + 1) for i in range(3)],
        crs="EPSG:25832",
    )
    path = tmp_path / "numeric_keys.geojson"
    gdf.to_file(path)
    out = quartier.read_districts(path, key="nr", key_width=5)
    assert out["nr"].tolist() == ["00101", "02202", "11000"]
    with pytest.raises(DistrictKeyError) as err:
        quartier.read_districts(path, key="nr", key_width=4)
    assert "'11000'" in str(err.value) and "key_width=4" in str(err.value)


def test_invalid_geometry_is_repaired_and_reported(tmp_path):
    bowtie = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10), (X0, Y0)])
    gdf = gpd.GeoDataFrame(
        {"id": ["A", "B"]}, geometry=[bowtie, box(X0 + 20, Y0, X0 + 30, Y0 + 10)],
        crs="EPSG:25832"
    )
    path = tmp_path / "bowtie.gpkg"
    gdf.to_file(path)
    with pytest.warns(quartier.QuartierWarning, match=r"1 invalid geometry .* key\(s\) 'A'") as w:
        out = quartier.read_districts(path, key="id")
    assert out.is_valid.all()
    # the repaired keys are named in the warning (no attrs)
    assert [m for m in map(str, (x.message for x in w)) if "repaired" in m][0].count("'A'") == 1
    assert not out.attrs
    assert out.area.iloc[0] == pytest.approx(50.0)  # both triangles kept


def test_shapefile_without_prj_needs_source_crs(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["1"]}, geometry=[box(X0, Y0, X0 + 1, Y0 + 1)], crs=None)
    path = tmp_path / "noprj.shp"
    with pytest.warns(UserWarning, match="crs"):  # pyogrio warns when writing without a CRS
        gdf.to_file(path)
    with pytest.raises(CRSError, match="no coordinate reference system.*source_crs"):
        quartier.read_districts(path, key="id")
    out = quartier.read_districts(path, key="id", source_crs="EPSG:25833")
    assert out.crs.to_epsg() == 25833


def test_multilayer_file_needs_layer(tmp_path):
    path = tmp_path / "two.gpkg"
    for name in ("bezirke", "stadtteile"):
        gpd.GeoDataFrame({"id": ["1"]}, geometry=[box(X0, Y0, X0 + 1, Y0 + 1)], crs="EPSG:25832").to_file(
            path, layer=name
        )
    with pytest.raises(InputFileError, match=r"2 layers: 'bezirke', 'stadtteile'.*layer="):
        quartier.read_districts(path, key="id")
    with pytest.raises(InputFileError, match="no layer 'quartiere'"):
        quartier.read_districts(path, key="id", layer="quartiere")
    assert len(quartier.read_districts(path, key="id", layer="stadtteile")) == 1


def test_points_are_not_districts(shared):
    with pytest.raises(InputFileError, match="Point.*must be polygons"):
        quartier.read_districts(
            shared / "berlin_facilities" / "pflegeeinrichtungen.geojson", key="ik_nummer"
        )


def test_flatgeobuf_and_geojson_with_crs_member_round_trip(plr, tmp_path):
    fgb = tmp_path / "plr.fgb"
    plr.head(20).to_file(fgb)
    out = quartier.read_districts(fgb, key="PLR_ID")
    assert out.crs.to_epsg() == 25833
    # FlatGeobuf stores features in the order of its spatial index
    assert sorted(out["PLR_ID"]) == sorted(plr["PLR_ID"].head(20))
    gj = tmp_path / "plr_25833.geojson"
    plr.head(5).to_file(gj, driver="GeoJSON")  # writes a "crs" member for EPSG:25833
    assert '"crs"' in gj.read_text()
    assert quartier.read_districts(gj, key="PLR_ID").crs.to_epsg() == 25833
