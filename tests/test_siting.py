"""Siting models: hand-checked tiny cases, brute force, PySAL spopt on real Berlin data."""

from __future__ import annotations

import itertools
import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pulp
import pytest
from shapely import Point

import quartier
from quartier.access.costs import cost_matrix
from quartier.errors import CRSError, QuartierError, QuartierWarning, ValueParseError
from quartier.planning import _siting_model
from quartier.planning.siting import maximal_coverage, p_median, set_cover

CRS = "EPSG:25832"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pulp")


# Four villages on a line with 10, 20, 30, 40 older people at x = 0, 1000, 2000, 3000 m;
# candidate sites A (500 m), B (1500 m), C (2900 m). Reach 600 m:
#   A reaches the villages at 0 and 1000 (10 + 20 = 30 people),
#   B those at 1000 and 2000 (20 + 30 = 50), C the one at 3000 (40).
def villages(pop=(10, 20, 30, 40)):
    return gpd.GeoDataFrame({"ew65": list(pop)}, index=["v0", "v1", "v2", "v3"],
                            geometry=[Point(x, 0) for x in (0, 1000, 2000, 3000)], crs=CRS)


def sites(**cols):
    return gpd.GeoDataFrame(cols, index=["A", "B", "C"],
                            geometry=[Point(500, 0), Point(1500, 0), Point(2900, 0)], crs=CRS)


def home(cap=None):
    # an existing care home at 2500 m: reaches the villages at 2000 and 3000 within 600 m
    data = {} if cap is None else {"plaetze": [cap]}
    return gpd.GeoDataFrame(data, index=["E"], geometry=[Point(2500, 0)], crs=CRS)


# ------------------------------------------------------------------ maximal covering by hand


def test_mclp_by_hand():
    # p = 1: B covers 50 (best; A 30, C 40). p = 2: B + C = 90 (A + C 70, A + B 60).
    one = maximal_coverage(villages(), sites(), p=1, max_cost=600, demand_col="ew65")
    assert one.selected == ["B"] and one.objective == 50 and one.status == "optimal"
    two = maximal_coverage(villages(), sites(), p=2, max_cost=600, demand_col="ew65")
    assert two.selected == ["B", "C"] and two.objective == 90
    assert two.coverage_before.population == 0 and two.coverage_after.share == pytest.approx(0.9)
    assert two.gap == 0
    units = two.units
    assert units["covered_after"].tolist() == [False, True, True, True]
    assert units["site"].tolist() == [None, "B", "B", "C"]
    s = two.sites.set_index("site")
    assert s.loc["B", "population_assigned"] == 50 and s.loc["C", "units_assigned"] == 1


def test_mclp_existing_counts_as_covered():
    # The home at 2500 already covers 30 + 40 = 70. Adding A covers 10 + 20 more (100 in all);
    # B would only add the 20 at 1000 (90); C adds nothing. So A is chosen, objective 100.
    res = maximal_coverage(villages(), sites(), p=1, max_cost=600, demand_col="ew65",
                           existing=home())
    assert res.selected == ["A"] and res.objective == 100
    assert res.coverage_before.population == 70 and res.gain == 30
    assert res.sites["kind"].tolist() == ["new", "existing"]
    assert res.units["covered_before"].tolist() == [False, False, True, True]
    assert res.units["site_kind"].tolist() == ["new", "new", "existing", "existing"]


def test_mclp_capacitated_by_hand():
    # places A 25, B 30, C 40. p = 1: A serves 25, B 30, C 40 -> C (40).
    # p = 2: B + C serve 30 + 40 = 70 (A + C 65, A + B 55) -> B, C with 70.
    cand = sites(plaetze=[25, 30, 40])
    one = maximal_coverage(villages(), cand, p=1, max_cost=600, demand_col="ew65",
                           capacity="plaetze")
    assert one.selected == ["C"] and one.objective == pytest.approx(40)
    two = maximal_coverage(villages(), cand, p=2, max_cost=600, demand_col="ew65",
                           capacity="plaetze")
    assert two.selected == ["B", "C"] and two.objective == pytest.approx(70)
    load = two.assignments.groupby("site")["population"].sum()
    assert load["B"] == pytest.approx(30) and load["C"] == pytest.approx(40)
    assert (two.assignments["share"] <= 1 + 1e-9).all()


def test_mclp_capacitated_existing_served_before():
    # the home (10 places) serves 10 of the 70 in its reach; adding C (40 places) serves the
    # 40 at 3000, and the home then serves 10 of the 30 at 2000: 50 served in all. B instead
    # would serve 30 of the 50 at 1000/2000 plus the home's 10: 40. So C.
    cand = sites(plaetze=[25, 30, 40])
    res = maximal_coverage(villages(), cand, p=1, max_cost=600, demand_col="ew65",
                           existing=home(10), capacity="plaetze")
    assert res.coverage_before.population == pytest.approx(10)
    assert res.selected == ["C"] and res.objective == pytest.approx(50)
    assert res.units["served_after"].sum() == pytest.approx(50)


def _max_flow_served(w, pairs, cap, open_sites):
    g = nx.DiGraph()
    for i, wi in enumerate(w):
        g.add_edge("s", ("d", i), capacity=int(wi))
    for i, j in pairs:
        if j in open_sites:
            g.add_edge(("d", i), ("f", j), capacity=int(w[i]))
    for j in open_sites:
        g.add_edge(("f", j), "t", capacity=int(cap[j]))
    return nx.maximum_flow_value(g, "s", "t") if g.has_node("t") else 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_capacitated_mclp_against_brute_force_max_flow(seed):
    rng = np.random.default_rng(seed)
    dem = gpd.GeoDataFrame({"n": rng.integers(0, 40, 25)},
                           geometry=[Point(x, y) for x, y in rng.uniform(0, 3000, (25, 2))],
                           crs=CRS)
    cand = gpd.GeoDataFrame({"cap": rng.integers(10, 120, 7)},
                            geometry=[Point(x, y) for x, y in rng.uniform(0, 3000, (7, 2))],
                            crs=CRS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)  # some units out of every reach
        res = maximal_coverage(dem, cand, p=3, max_cost=900, demand_col="n", capacity="cap")
    cm = cost_matrix(dem, cand, max_cost=900)
    pairs = list(zip(cm.rows.tolist(), cm.cols.tolist(), strict=True))
    w, cap = dem["n"].to_numpy(), cand["cap"].to_numpy()
    best = max(_max_flow_served(w, pairs, cap, set(s)) for s in itertools.combinations(range(7), 3))
    assert res.objective == pytest.approx(best)


@pytest.mark.parametrize("seed", [4, 5])
def test_mclp_and_p_median_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    dem = gpd.GeoDataFrame({"n": rng.integers(0, 50, 40)},
                           geometry=[Point(x, y) for x, y in rng.uniform(0, 4000, (40, 2))],
                           crs=CRS)
    cand = gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in rng.uniform(0, 4000, (8, 2))],
                            crs=CRS)
    ex = gpd.GeoDataFrame(geometry=[Point(2000, 2000)], crs=CRS)
    d = cost_matrix(dem, cand).to_dense()
    d0 = cost_matrix(dem, ex).to_dense()[:, 0]
    w = dem["n"].to_numpy(float)
    cover, median = [], []
    for s in itertools.combinations(range(8), 3):
        near = np.minimum(d[:, list(s)].min(axis=1), d0)
        cover.append(w[near <= 1000].sum())
        median.append((w * near).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)  # some units out of every reach
        res = maximal_coverage(dem, cand, p=3, max_cost=1000, demand_col="n", existing=ex)
    assert res.objective == pytest.approx(max(cover))
    pm = p_median(dem, cand, p=3, demand_col="n", existing=ex)
    assert pm.objective == pytest.approx(min(median))
    assert len(pm.selected) == 3


# ------------------------------------------------------------------ p-median and set cover by hand


def test_p_median_by_hand():
    # p = 1 (person-metres): A 10*500 + 20*500 + 30*1500 + 40*2500 = 160,000;
    # B 10*1500 + 20*500 + 30*500 + 40*1500 = 100,000; C 10*2900 + 20*1900 + 30*900 + 40*100
    # = 98,000 -> C. p = 2: B + C = 15,000 + 10,000 + 15,000 + 4,000 = 44,000 (best).
    one = p_median(villages(), sites(), p=1, demand_col="ew65")
    assert one.selected == ["C"] and one.objective == 98_000
    two = p_median(villages(), sites(), p=2, demand_col="ew65")
    assert two.selected == ["B", "C"] and two.objective == 44_000
    assert two.coverage_after is None
    assert two.assignments.set_index("demand")["site"].to_dict() == {
        "v0": "B", "v1": "B", "v2": "B", "v3": "C"}


def test_p_median_with_existing_by_hand():
    # home at 2500 alone: 10*2500 + 20*1500 + 30*500 + 40*500 = 90,000.
    # + A: 5,000 + 10,000 + 15,000 + 20,000 = 50,000; + B: 15,000 + 10,000 + 15,000 + 20,000
    # = 60,000; + C: 25,000 + 30,000 + 15,000 + 4,000 = 74,000 -> A with 50,000.
    res = p_median(villages(), sites(), p=1, demand_col="ew65", existing=home())
    assert res.selected == ["A"] and res.objective == 50_000


def test_p_median_capacitated_by_hand():
    # places A, B, C 60 each, home 50. + B: B serves v0, v1, v2 (15,000 + 10,000 + 15,000),
    # the home v3 (20,000) = 60,000. + A: the home can take only 50 of v2 + v3 (70), so 20
    # people of v2 go to A at 1500 m: 5,000 + 10,000 + 30,000 + 5,000 + 20,000 = 70,000.
    # + C: the home takes v2 and 20 of v1 ... 78,000. -> B, 60,000.
    res = p_median(villages(), sites(plaetze=[60, 60, 60]), p=1, demand_col="ew65",
                   existing=home(50), capacity="plaetze")
    assert res.selected == ["B"] and res.objective == pytest.approx(60_000)
    load = res.assignments.groupby("site")["population"].sum()
    assert load["B"] <= 60 + 1e-6 and load["E"] <= 50 + 1e-6


def test_p_median_not_enough_places_or_reach():
    with pytest.raises(QuartierError, match="not enough places: .* 70 places for 100 people"):
        p_median(villages(), sites(plaetze=[30, 30, 40]), p=2, demand_col="ew65",
                 capacity="plaetze")
    # within 600 m v0 needs A, v2 needs B, v3 needs C: two sites cannot serve everybody
    with pytest.raises(QuartierError, match="with p=2 new sites not every demand unit can be "
                                            "served within max_cost=600"):
        p_median(villages(), sites(), p=2, demand_col="ew65", max_cost=600)
    three = p_median(villages(), sites(), p=3, demand_col="ew65", max_cost=600)
    assert three.selected == ["A", "B", "C"] and three.status == "trivial"


def test_set_cover_by_hand_and_uncoverable():
    # reach 600: v0 only by A, v2 only by B, v3 only by C -> all three needed;
    # with the home at 2500 (v2, v3) A alone covers the rest.
    assert set_cover(villages(), sites(), max_cost=600, demand_col="ew65").objective == 3
    res = set_cover(villages(), sites(), max_cost=600, demand_col="ew65", existing=home())
    assert res.selected == ["A"] and res.coverage_after.share == 1.0
    # a village nobody can reach; and one with nobody in it (needs no coverage)
    far = villages()
    far.loc["v9"] = [5, Point(9000, 0)]
    far.loc["v8"] = [0, Point(-5000, 0)]
    with pytest.raises(QuartierError, match=r"1 demand unit\(s\) with 5 people cannot be reached "
                                            r"within max_cost=600 .*'v9'.*allow_uncoverable"):
        set_cover(far, sites(), max_cost=600, demand_col="ew65")
    with pytest.warns(QuartierWarning, match="'v9'"):
        res = set_cover(far, sites(), max_cost=600, demand_col="ew65", allow_uncoverable=True)
    assert res.selected == ["A", "B", "C"] and res.excluded == ["v9"]


# ------------------------------------------------------------------ degenerate inputs


def test_p_larger_than_candidates():
    with pytest.raises(ValueError, match=r"p=4 new sites were asked for, but there are only 3 "
                                         r"candidate sites. Choose p <= 3"):
        maximal_coverage(villages(), sites(), p=4, max_cost=600, demand_col="ew65")
    with pytest.raises(ValueError, match="whole number"):
        p_median(villages(), sites(), p=1.5, demand_col="ew65")


def test_no_candidate_in_reach_gains_nothing():
    cand = sites().set_geometry(gpd.GeoSeries([Point(0, 9000 + i) for i in range(3)], crs=CRS,
                                              index=["A", "B", "C"]))
    with pytest.warns(QuartierWarning) as caught:
        res = maximal_coverage(villages(), cand, p=2, max_cost=600, demand_col="ew65",
                               existing=home())
    assert res.selected == [] and res.gain == 0 and res.objective == 70
    assert any("nothing is gained and no site is chosen" in str(w.message) for w in caught)
    assert any("'v0', 'v1'" in m and "stay uncovered" in m for m in res.messages)


def test_fewer_useful_candidates_than_p():
    with pytest.warns(QuartierWarning, match="only 1 candidate site"):
        res = maximal_coverage(villages(), sites(), p=2, max_cost=600, demand_col="ew65",
                               existing=gpd.GeoDataFrame(geometry=[Point(1500, 0), Point(2900, 0)],
                                                         crs=CRS))
    assert res.selected == ["A"] and res.objective == 100


def test_bad_populations_and_crs():
    with pytest.raises(ValueParseError, match=r"'ew65' has missing or negative values in 1 "
                                              r"row\(s\) \(index 'v1'\)"):
        maximal_coverage(villages((10, -2, 3, 4)), sites(), p=1, max_cost=600, demand_col="ew65")
    with pytest.raises(ValueParseError, match="sums to 0 .* nobody to plan for"):
        set_cover(villages((0, 0, 0, 0)), sites(), max_cost=600, demand_col="ew65")
    with pytest.raises(quartier.ColumnError, match="demand column 'ew' not found"):
        p_median(villages(), sites(), p=1, demand_col="ew")
    geo = villages().to_crs("EPSG:4326")
    with pytest.raises(CRSError):
        maximal_coverage(geo, sites().to_crs("EPSG:4326"), p=1, max_cost=600, demand_col="ew65")
    with pytest.raises(CRSError, match="candidates are in .* but demand is in"):
        maximal_coverage(villages(), sites().to_crs("EPSG:25833"), p=1, max_cost=600,
                         demand_col="ew65")
    with pytest.raises(ValueParseError, match="capacity column 'plaetze' .* negative"):
        maximal_coverage(villages(), sites(plaetze=[1, -1, 2]), p=1, max_cost=600,
                         demand_col="ew65", capacity="plaetze")


def test_time_limit_reports_gap(monkeypatch):
    real = _siting_model.milp

    def stopped_early(*args, **kwargs):
        res = real(*args, **kwargs)
        assert kwargs["options"]["time_limit"] == 5
        res.status, res.mip_gap = 1, 0.031
        return res

    monkeypatch.setattr(_siting_model, "milp", stopped_early)
    with pytest.warns(QuartierWarning, match=r"time limit was reached: .* up to 3\.10%"):
        res = maximal_coverage(villages(), sites(), p=2, max_cost=600, demand_col="ew65",
                               time_limit=5)
    assert res.status == "time_limit" and res.gap == pytest.approx(0.031)
    assert "Zeitlimit" in res.summary() and "gap at most 3.10%" in res.summary(lang="en")

    def nothing_found(*args, **kwargs):
        res = real(*args, **kwargs)
        res.status, res.x = 1, None
        return res

    monkeypatch.setattr(_siting_model, "milp", nothing_found)
    with pytest.raises(QuartierError, match=r"no solution was found within time_limit=5 s"):
        maximal_coverage(villages(), sites(), p=2, max_cost=600, demand_col="ew65", time_limit=5)


def test_layers_are_ready_for_export(tmp_path):
    res = maximal_coverage(villages(), sites(), p=1, max_cost=600, demand_col="ew65",
                           existing=home())
    layers = res.layers()
    st, dem = layers["standorte"], layers["nachfrage"]
    assert st.crs == CRS and list(st["site"]) == ["A", "E"]
    assert st.geometry.x.tolist() == [500.0, 2500.0]
    assert {"covered_before", "covered_after", "site", "cost"} <= set(dem.columns)
    path = quartier.export_layers(layers, tmp_path / "standorte.gpkg")[0]
    assert {"nachfrage", "standorte"} <= set(gpd.list_layers(path)["name"])
    back = gpd.read_file(path, layer="standorte")
    assert back["population_assigned"].tolist() == [30.0, 70.0]


# ------------------------------------------------------------------ Berlin against spopt

R, P, COL = 1000, 10, "inhabitants_age_above_65"


@pytest.fixture(scope="module")
def berlin(shared):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        table = quartier.read_table(shared / "berlin_population" /
                                    "berlin-lor-population-2024-02-t2-planning-areas.csv", key="id")
        plr = quartier.read_districts(shared / "berlin_lor" / "lor_planungsraeume_2021.shp",
                                      key="PLR_ID")
        joined, _ = quartier.join_indicators(plr, table, left_on="PLR_ID", right_on="id")
        cand = quartier.read_facilities(shared / "berlin_osm_pois" /
                                        "berlin-points-of-interest-community-centers-details.geojson",
                                        crs="EPSG:25833")
        homes = quartier.read_facilities(shared / "berlin_facilities" / "pflegeeinrichtungen.geojson",
                                         capacity="platzzahl")
    demand = joined.set_geometry(joined.representative_point()).set_index("PLR_ID", drop=False)
    return demand, cand, homes


def _dense(demand, sites_list, radius):
    allsites = gpd.GeoDataFrame(geometry=[g for s in sites_list for g in s.geometry],
                                crs=demand.crs)
    d = cost_matrix(demand, allsites, max_cost=radius).to_dense()
    d[np.isnan(d)] = radius + 1  # unreachable: above the service radius
    return d


def test_berlin_mclp_equals_spopt(berlin):
    from spopt.locate import MCLP

    demand, cand, homes = berlin
    with pytest.warns(QuartierWarning, match="stay uncovered"):
        res = maximal_coverage(demand, cand, p=P, max_cost=R, demand_col=COL, existing=homes)
    assert res.status == "optimal" and len(res.selected) == P
    # spopt: candidates + care homes, the homes predefined (fixed open, counted in its p)
    w = demand[COL].to_numpy(float)
    fixed = np.r_[np.zeros(len(cand)), np.ones(len(homes))].astype(int)
    mclp = MCLP.from_cost_matrix(_dense(demand, [cand, homes], R), w, service_radius=R,
                                 p_facilities=P + len(homes), predefined_facilities_arr=fixed)
    mclp.solve(pulp.PULP_CBC_CMD(msg=False))
    assert res.objective == pytest.approx(pulp.value(mclp.problem.objective))
    # coverage before = quartier.coverage of the care homes alone (independent code path)
    before = quartier.coverage(demand, homes, max_cost=R, demand_col=COL)
    assert res.coverage_before.population == pytest.approx(
        before.report.covered_total)
    assert res.coverage_after.population == pytest.approx(
        quartier.coverage(demand, pd_concat(homes, cand.loc[res.selected]), max_cost=R,
                          demand_col=COL).report.covered_total)


def pd_concat(*frames):
    return gpd.GeoDataFrame(geometry=[g for f in frames for g in f.geometry], crs=frames[0].crs)


def _mitte(berlin):
    demand, cand, homes = berlin
    sub = demand[demand["PLR_ID"].str.startswith("01")]
    area = gpd.GeoSeries(sub.geometry, crs=sub.crs).union_all().convex_hull.buffer(500)
    return sub, cand[cand.within(area)], homes[homes.within(area)]


def test_berlin_p_median_equals_spopt(berlin):
    from spopt.locate import PMedian

    demand, cand, homes = _mitte(berlin)
    assert 20 <= len(demand) and 10 <= len(cand) and 5 <= len(homes)
    p = 5
    res = p_median(demand, cand, p=p, demand_col=COL, existing=homes)
    w = demand[COL].to_numpy(float)
    d = cost_matrix(demand, pd_concat(cand, homes)).to_dense()
    fixed = np.r_[np.zeros(len(cand)), np.ones(len(homes))].astype(int)
    pm = PMedian.from_cost_matrix(d, w, p_facilities=p + len(homes),
                                  predefined_facilities_arr=fixed)
    pm.solve(pulp.PULP_CBC_CMD(msg=False))
    assert res.objective == pytest.approx(pulp.value(pm.problem.objective), rel=1e-9)
    assert res.assignments["population"].sum() == pytest.approx(w.sum())


def test_berlin_set_cover_equals_spopt(berlin):
    from spopt.locate import LSCP

    demand, cand, homes = _mitte(berlin)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        res = set_cover(demand, cand, max_cost=R, demand_col=COL, existing=homes,
                        allow_uncoverable=True)
    keep = ~demand.index.isin(res.excluded) & (demand[COL] > 0).to_numpy()
    fixed = np.r_[np.zeros(len(cand)), np.ones(len(homes))].astype(int)
    lscp = LSCP.from_cost_matrix(_dense(demand[keep], [cand, homes], R), service_radius=R,
                                 predefined_facilities_arr=fixed)
    lscp.solve(pulp.PULP_CBC_CMD(msg=False))
    assert res.objective == pulp.value(lscp.problem.objective) - len(homes)
    assert res.coverage_after.population == pytest.approx(demand[COL][keep].sum())
