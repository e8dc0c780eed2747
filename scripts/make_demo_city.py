#!/usr/bin/env python
"""Generate the SYNTHETIC demo city "Musterstadt" (all data invented).

Musterstadt is not a real city. Everything written by this script is made up
from a fixed random seed; any similarity to real places is coincidental.

Output (default: ``data/geometries`` in the repository root)::

    musterstadt.gpkg              layers stadtgrenze, stadtbezirke, stadtteile,
                                  strassen, gewaesser, bahnstrecken,
                                  einrichtungen, baugebiet (all EPSG:25832)
    bevoelkerung_100m.csv         Zensus-style 100 m population grid
    indikatoren_stadtteile.csv    indicator table as a statistics office
                                  delivers it (cp1252, ';', decimal comma)

The city is roughly 10 km x 9 km with about 250,000 inhabitants. A river
("Muster") runs west-east through it and is crossed by 4 bridges; a railway
runs roughly north-south and is crossed by streets only at 3 underpasses.

Usage::

    python scripts/make_demo_city.py [--out DIR]

The script is deterministic: the CSV files are byte-identical on every run
(the GeoPackage differs only in its internal timestamps). It only needs
numpy, shapely, pandas, geopandas and pyogrio.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry import LineString, Point, Polygon, box

SEED = 20240611
CRS = "EPSG:25832"
CX, CY = 565_000.0, 5_935_000.0  # city centre
RX, RY = 5_000.0, 4_500.0  # semi-axes of the (wobbly) city ellipse
TOTAL_POPULATION = 250_000
QUELLE = "Synthetische Demo-Daten, erzeugt von scripts/make_demo_city.py"

AGE_COLUMNS = ["unter_6", "6_bis_17", "18_bis_64", "65_bis_79", "80_und_aelter"]
AGE_BASE_SHARES = np.array([0.055, 0.11, 0.62, 0.14, 0.075])

BEZIRK_NAMES = [
    "Mitte",  # 01: the innermost Stadtteile
    # 02..10: sectors counter-clockwise, starting east
    "Oststadt",
    "Nordost",
    "Nordstadt",
    "Nordwest",
    "Weststadt",
    "Am Fluss",
    "Südwest",
    "Südstadt",
    "Südost",
]

MITTE_NAMES = [
    "Altstadt",
    "Marktviertel",
    "Schlossviertel",
    "Domviertel",
    "Neustadt",
    "Kaiserviertel",
]
STADTTEIL_NAMES = [
    "Lindenhöhe",
    "Mühlenfeld",
    "Eichkamp",
    "Birkenhain",
    "Sonnenberg",
    "Wiesengrund",
    "Kirchdorf",
    "Rosental",
    "Brückenau",
    "Am Wasserturm",
    "Fuchsberg",
    "Heidekrug",
    "Schönblick",
    "Grünhöhe",
    "Kastanienhof",
    "Lerchenfeld",
    "Tannenhöhe",
    "Ahornsiedlung",
    "Mühlbach",
    "Weidenau",
    "Ostfeld",
    "Nordheide",
    "Westhagen",
    "Südring",
    "Hafenviertel",
    "Hüttenfeld",
    "Gänseweide",
    "Blumenthal",
    "Schäferkamp",
    "Rübenacker",
    "Ziegelhof",
    "Buchenwäldchen",
    "Kräuterwiese",
    "Falkenhorst",
    "Storchennest",
    "Am Rain",
    "Pappelallee",
    "Hohe Föhren",
    "Drosselgrund",
    "Sandkuhle",
    "Krähenwinkel",
    "Löwenstein",
    "Uferstadt",
    "Mönchsberg",
    "Eulenhorst",
    "Birnbaumfeld",
    "Glockenheide",
    "Steinbrück",
    "Kornblumenau",
    "Rabenfeld",
    "Schmiedefeld",
    "Wolfsgrund",
    "Hasenheide",
    "Müllersruh",
    "Goldacker",
    "Töpferviertel",
    "Fährhaus",
    "Sternschanze Nord",
    "Amselweg-Siedlung",
    "Lindenau-Süd",
]

STREET_STEMS = [
    "Linden",
    "Eichen",
    "Birken",
    "Goethe",
    "Schiller",
    "Lessing",
    "Mozart",
    "Beethoven",
    "Rosen",
    "Tulpen",
    "Nelken",
    "Mühlen",
    "Kirch",
    "Schul",
    "Garten",
    "Wiesen",
    "Feld",
    "Berg",
    "Tal",
    "Brunnen",
    "Post",
    "Markt",
    "Burg",
    "Schloss",
    "Ahorn",
    "Kastanien",
    "Buchen",
    "Tannen",
    "Fichten",
    "Erlen",
    "Weiden",
    "Pappel",
    "Ulmen",
    "Holunder",
    "Flieder",
    "Amsel",
    "Drossel",
    "Finken",
    "Lerchen",
    "Meisen",
    "Falken",
    "Adler",
    "Kant",
    "Hegel",
    "Heine",
    "Fontane",
    "Uhland",
    "Körner",
    "Röntgen",
    "Dürer",
    "Händel",
    "Bach",
    "Haydn",
    "Brahms",
    "Schubert",
    "Gutenberg",
    "Kepler",
    "Humboldt",
    "Sonnen",
    "Mond",
    "Stern",
    "Hügel",
    "Quellen",
    "Bäcker",
    "Schmiede",
    "Töpfer",
    "Weber",
    "Müller",
    "Gärtner",
    "Fischer",
    "Jäger",
    "Förster",
    "Sport",
    "Park",
]
STREET_SUFFIXES = ["straße", "weg", "allee", "ring", "gasse", "pfad", "damm", "stieg"]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def rnorm(x, y):
    """Elliptical normalised distance from the city centre (1 ~ city edge)."""
    return np.sqrt(((np.asarray(x) - CX) / RX) ** 2 + ((np.asarray(y) - CY) / RY) ** 2)


def blob(x0, y0, rx, ry, rng, wobble=0.15, n=72):
    """An irregular, roughly elliptical polygon (parks, forest, industry)."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ph = rng.uniform(0, 2 * np.pi, 3)
    r = 1 + wobble * (
        0.6 * np.sin(2 * t + ph[0]) + 0.3 * np.sin(3 * t + ph[1]) + 0.2 * np.sin(5 * t + ph[2])
    )
    return Polygon(np.column_stack([x0 + rx * r * np.cos(t), y0 + ry * r * np.sin(t)]))


def largest_polygon(geom):
    """Return the largest part of a (Multi)Polygon."""
    if geom.geom_type == "Polygon":
        return geom
    return max(geom.geoms, key=lambda g: g.area)


# ---------------------------------------------------------------------------
# base geometry: boundary, river, railway, land use
# ---------------------------------------------------------------------------


def make_boundary(rng):
    """Star-shaped, wobbly ellipse of roughly 10 km x 9 km."""
    t = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    ph = rng.uniform(0, 2 * np.pi, 4)
    r = (
        1
        + 0.05 * np.sin(3 * t + ph[0])
        + 0.035 * np.sin(5 * t + ph[1])
        + 0.02 * np.sin(9 * t + ph[2])
        + 0.01 * np.sin(17 * t + ph[3])
    )
    xy = np.column_stack([CX + RX * r * np.cos(t), CY + RY * r * np.sin(t)])
    return Polygon(np.round(xy, 2))


def make_river(boundary):
    """Meandering river 'Muster' flowing west-east, south of the centre (60 m wide)."""
    x = np.arange(CX - RX - 1500, CX + RX + 1500, 20.0)
    d = x - CX
    y = (
        CY
        - 900
        + 380 * np.sin(2 * np.pi * d / 3400 + 0.7)
        + 140 * np.sin(2 * np.pi * d / 1300 + 2.1)
    )
    centreline = LineString(np.column_stack([x, y]))
    river_full = centreline.buffer(30, quad_segs=4)
    river = largest_polygon(river_full.intersection(boundary))
    return centreline, river


def make_railway(boundary):
    """Railway running roughly SSW-NNE, east of the centre."""
    y = np.arange(CY - RY - 1500, CY + RY + 1500, 25.0)
    d = y - CY
    x = CX + 700 + 0.22 * d + 220 * np.sin(d / 2500)
    line = LineString(np.column_stack([x, y])).intersection(boundary)
    if line.geom_type == "MultiLineString":
        line = max(line.geoms, key=lambda g: g.length)
    return line


def make_landuse(rng, boundary, river, centreline):
    """Unpopulated areas: parks, forest, cemetery, industry, riverside meadows."""
    parks = {
        "Stadtpark": blob(CX - 700, CY + 850, 380, 260, rng),
        "Hauptfriedhof": blob(CX - 1700, CY + 1500, 240, 200, rng),
        "Flussaue": centreline.buffer(170).intersection(box(CX - 2800, CY - 2500, CX - 600, CY)),
        "Volkspark Ost": blob(CX + 2600, CY + 700, 300, 220, rng),
    }
    forest = blob(CX - 0.62 * RX, CY + 0.55 * RY, 1350, 1000, rng).intersection(boundary)
    industry = {
        "Gewerbegebiet Nord": blob(CX + 1650, CY + 2700, 650, 450, rng),
        "Hafen": blob(CX + 3700, CY - 950, 650, 380, rng).difference(river),
        "Gewerbegebiet Süd": blob(CX + 400, CY - 3000, 500, 350, rng),
    }
    return parks, forest, industry


def make_baugebiet(boundary):
    """Planned housing development (~6 ha) at the south-eastern edge of the built-up area."""
    ang = np.deg2rad(305)
    x0, y0 = CX + 0.86 * RX * np.cos(ang), CY + 0.86 * RY * np.sin(ang)
    rect = shapely.affinity.rotate(box(x0 - 170, y0 - 100, x0 + 170, y0 + 100), 18, origin=(x0, y0))
    return rect.intersection(boundary)


# ---------------------------------------------------------------------------
# Stadtteile and Stadtbezirke
# ---------------------------------------------------------------------------


def make_stadtteile(rng, boundary, railway):
    """Voronoi tessellation of dart-thrown seeds, clipped to the boundary.

    Seeds are denser in the centre (smaller Stadtteile). The 6 innermost
    Stadtteile form Bezirk "Mitte", the rest is split into 9 angular sectors
    of equal seed count.
    """
    minx, miny, maxx, maxy = boundary.bounds
    seeds = []
    for _ in range(30_000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        rn = float(rnorm(x, y))
        if rn > 0.93 or not boundary.contains(Point(x, y)):
            continue
        dmin = 560 + 640 * rn
        if all((x - sx) ** 2 + (y - sy) ** 2 > dmin**2 for sx, sy in seeds):
            seeds.append((x, y))
    seeds = np.array(seeds)

    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=boundary.buffer(2000))
    cells = list(cells.geoms)
    # map Voronoi cells back to their seeds
    seed_pts = shapely.points(seeds)
    polys = [None] * len(seeds)
    for c in cells:
        idx = np.nonzero(shapely.contains(c, seed_pts))[0]
        polys[int(idx[0])] = largest_polygon(c.intersection(boundary))

    # --- Bezirke: Mitte = 6 innermost seeds, then 9 angular sectors
    rn = rnorm(seeds[:, 0], seeds[:, 1])
    order = np.argsort(rn)
    bezirk_of = np.empty(len(seeds), dtype=int)
    mitte = order[:6]
    bezirk_of[mitte] = 0
    rest = order[6:]
    ang = np.mod(np.arctan2(seeds[rest, 1] - CY, seeds[rest, 0] - CX) + np.deg2rad(20), 2 * np.pi)
    rest_sorted = rest[np.argsort(ang)]
    for b, grp in enumerate(np.array_split(rest_sorted, 9), start=1):
        bezirk_of[grp] = b

    # --- ids and names
    names_pool = list(STADTTEIL_NAMES)
    rows = []
    for b in range(10):
        members = np.nonzero(bezirk_of == b)[0]
        # number Stadtteile within a Bezirk from the centre outwards
        members = members[np.argsort(rn[members])]
        for k, i in enumerate(members, start=1):
            rows.append(
                {
                    "idx": int(i),
                    "bezirk": b,
                    "stadtteil_id": f"{b + 1:02d}{k:03d}",
                    "bezirk_id": f"{b + 1:02d}",
                }
            )
    # Mitte names; the Mitte Stadtteil closest to the railway is the Bahnhofsviertel
    mitte_rows = [r for r in rows if r["bezirk"] == 0]
    dist_rail = [railway.distance(Point(seeds[r["idx"]])) for r in mitte_rows]
    bhf = int(np.argmin(dist_rail))
    mnames = iter(MITTE_NAMES)
    for j, r in enumerate(mitte_rows):
        r["name"] = "Bahnhofsviertel" if j == bhf else next(mnames)
    rng.shuffle(names_pool)
    pool = iter(names_pool)
    for r in rows:
        if "name" not in r:
            r["name"] = next(pool)

    stadtteile = gpd.GeoDataFrame(
        {
            "stadtteil_id": [r["stadtteil_id"] for r in rows],
            "name": [r["name"] for r in rows],
            "bezirk_id": [r["bezirk_id"] for r in rows],
        },
        geometry=[polys[r["idx"]] for r in rows],
        crs=CRS,
    )
    bezirke = stadtteile.dissolve(by="bezirk_id", as_index=False)[["bezirk_id", "geometry"]]
    bezirke["name"] = [BEZIRK_NAMES[int(b) - 1] for b in bezirke["bezirk_id"]]
    bezirke = (
        bezirke[["bezirk_id", "name", "geometry"]].sort_values("bezirk_id").reset_index(drop=True)
    )
    return stadtteile, bezirke


# ---------------------------------------------------------------------------
# streets
# ---------------------------------------------------------------------------


def axis_positions(centre, half_extent):
    """Grid line positions: ~150 m apart in the centre, ~250 m at the edge."""
    pos = [0.0]
    while pos[-1] < half_extent + 400:
        d = pos[-1]
        pos.append(d + 150 + 100 * min(d / half_extent, 1.0))
    pos = np.array(pos)
    return np.concatenate([centre - pos[:0:-1], centre + pos])


def make_streets(rng, boundary, river, railway, parks, forest, baugebiet):
    """Jittered, slightly rotated street grid split at every junction.

    Rows and columns of the grid are streets; every 5th one is a secondary
    road, the ones through the centre are primary roads. Segments crossing the
    river survive only at 4 bridges, segments crossing the railway only at
    3 underpasses. Only the largest connected component is kept.
    """
    xs = axis_positions(CX, RX * 1.12)
    ys = axis_positions(CY, RY * 1.12)
    ci, cj = int(np.argmin(np.abs(xs - CX))), int(np.argmin(np.abs(ys - CY)))
    gx, gy = np.meshgrid(xs, ys, indexing="ij")  # node (i, j) -> column i, row j
    gx = gx + np.clip(rng.normal(0, 18, gx.shape), -40, 40)
    gy = gy + np.clip(rng.normal(0, 18, gy.shape), -40, 40)
    # rotate the whole grid by 8 degrees around the centre
    a = np.deg2rad(8)
    dx, dy = gx - CX, gy - CY
    gx, gy = CX + dx * np.cos(a) - dy * np.sin(a), CY + dx * np.sin(a) + dy * np.cos(a)
    gx, gy = np.round(gx, 1), np.round(gy, 1)
    nx, ny = gx.shape

    inner = boundary.buffer(-10)
    blocked = shapely.union_all([river.buffer(25), railway.buffer(25), baugebiet.buffer(10)])
    valid = shapely.contains_xy(inner, gx, gy) & ~shapely.contains_xy(blocked, gx, gy)

    # street names per row / column
    names = [s + suf for s in STREET_STEMS for suf in STREET_SUFFIXES]
    rng.shuffle(names)
    col_names = names[:nx]
    row_names = names[nx : nx + ny]
    col_names[ci], row_names[cj] = "Bahnhofstraße", "Hauptstraße"

    def road_class(kind, k):
        c = ci if kind == "col" else cj
        if k == c:
            return "primary"
        if (k - c) % 5 == 0:
            return "secondary"
        return "residential"

    # candidate edges between consecutive valid nodes in every row and column;
    # gaps of one missing node are allowed only to jump over the river/railway
    edges = []  # (node_a, node_b, kind, line index, gap)
    for kind, nline, nalong in (("col", nx, ny), ("row", ny, nx)):
        for k in range(nline):
            along = [m for m in range(nalong) if (valid[k, m] if kind == "col" else valid[m, k])]
            for m0, m1 in zip(along[:-1], along[1:], strict=False):
                if m1 - m0 > 2:
                    continue
                a_ = (k, m0) if kind == "col" else (m0, k)
                b_ = (k, m1) if kind == "col" else (m1, k)
                edges.append((a_, b_, kind, k, m1 - m0))
    lines = shapely.linestrings([[(gx[a_], gy[a_]), (gx[b_], gy[b_])] for a_, b_, *_ in edges])
    kind_arr = np.array([e[2] for e in edges])
    line_idx = np.array([e[3] for e in edges])
    gap = np.array([e[4] for e in edges])
    crosses_river = shapely.intersects(lines, river)
    crosses_rail = shapely.intersects(lines, railway)
    inside = shapely.within(lines, boundary)
    mids = shapely.line_interpolate_point(lines, 0.5, normalized=True)
    mx, my = shapely.get_x(mids), shapely.get_y(mids)
    fclass = np.array(
        [road_class(k_, i_) for k_, i_ in zip(kind_arr, line_idx, strict=True)], dtype=object
    )

    # --- choose bridges: column edges crossing the river exactly once
    near_rail = shapely.intersects(lines, railway.buffer(150))
    bridge = np.zeros(len(edges), bool)
    ok_b = crosses_river & ~crosses_rail & ~near_rail & inside & (kind_arr == "col")
    col_cross_count = pd.Series(line_idx[crosses_river & (kind_arr == "col")]).value_counts()
    ok_b &= np.array([col_cross_count.get(i, 0) == 1 for i in line_idx])
    bridge_targets = [
        (CX - 3000, "main"),
        (CX - 900, "main"),
        (CX + 200, "foot"),
        (CX + 2400, "main"),
    ]
    for xt, kind in bridge_targets:
        cand = ok_b & ~bridge
        if kind == "main":
            cand &= fclass != "residential"
        i = np.nonzero(cand)[0][np.argmin(np.abs(mx[cand] - xt))]
        bridge[i] = True
        if kind == "foot":
            fclass[i] = "footway"

    # --- choose underpasses: row edges crossing the railway (not the river)
    tunnel = np.zeros(len(edges), bool)
    ok_t = crosses_rail & ~crosses_river & inside & (kind_arr == "row") & (fclass != "residential")
    ok_t &= ~shapely.intersects(lines, river.buffer(150))
    for yt in (CY + 2000, CY + 150, CY - 2300):
        cand = ok_t & ~tunnel
        i = np.nonzero(cand)[0][np.argmin(np.abs(my[cand] - yt))]
        tunnel[i] = True

    keep = inside.copy()
    keep &= ~crosses_river | bridge
    keep &= ~crosses_rail | tunnel
    keep &= (gap == 1) | bridge | tunnel
    # forest: most paths removed, the rest are footways; parks: footways
    in_forest = shapely.contains_xy(forest, mx, my)
    keep &= ~(in_forest & (rng.random(len(edges)) < 0.6))
    park_union = shapely.union_all(list(parks.values()))
    in_park = shapely.contains_xy(park_union, mx, my)
    fclass[(in_forest | in_park) & ~bridge & ~tunnel] = "footway"
    # a few residential segments are footpaths, a few are dropped (irregularity)
    rnd = rng.random(len(edges))
    fclass[(fclass == "residential") & (rnd < 0.04)] = "footway"
    keep &= ~((fclass == "residential") & (rnd > 0.96) & ~bridge & ~tunnel)

    # --- keep the largest connected component
    node_id = lambda n: n[0] * ny + n[1]  # noqa: E731
    ia = np.array([node_id(e[0]) for e in edges])
    ib = np.array([node_id(e[1]) for e in edges])
    kept = np.nonzero(keep)[0]
    g = coo_matrix((np.ones(len(kept)), (ia[kept], ib[kept])), shape=(nx * ny, nx * ny))
    _, labels = connected_components(g, directed=False)
    main = np.bincount(labels[ia[kept]]).argmax()
    keep[kept[labels[ia[kept]] != main]] = False

    idx = np.nonzero(keep)[0]
    name = []
    for i in idx:
        if fclass[i] == "footway" and not bridge[i]:
            name.append("Fußweg")
        elif bridge[i]:
            name.append(
                "Fußgängerbrücke"
                if fclass[i] == "footway"
                else (col_names if kind_arr[i] == "col" else row_names)[line_idx[i]]
            )
        else:
            name.append((col_names if kind_arr[i] == "col" else row_names)[line_idx[i]])
    streets = gpd.GeoDataFrame(
        {
            "strassen_id": [f"W{k:05d}" for k in range(1, len(idx) + 1)],
            "name": name,
            "fclass": [str(f) for f in fclass[idx]],
            "bridge": np.where(bridge[idx], "T", "F"),
            "tunnel": np.where(tunnel[idx], "T", "F"),
            "layer": np.where(bridge[idx], 1, np.where(tunnel[idx], -1, 0)).astype("int64"),
        },
        geometry=lines[idx],
        crs=CRS,
    )
    return streets


# ---------------------------------------------------------------------------
# population grid
# ---------------------------------------------------------------------------


def assign_stadtteil(x, y, stadtteile):
    """Index (row position in `stadtteile`) of the Stadtteil containing each point."""
    pts = shapely.points(x, y)
    tree = shapely.STRtree(stadtteile.geometry.values)
    pi, ti = tree.query(pts, predicate="within")
    out = np.full(len(pts), -1)
    out[pi] = ti
    if (out < 0).any():  # points exactly on a border: take the nearest
        miss = np.nonzero(out < 0)[0]
        out[miss] = tree.nearest(pts[miss])
    return out


def make_population(rng, boundary, river, railway, stadtteile, parks, forest, industry, baugebiet):
    """Populated 100 m cells with five age groups (multinomial, exact total)."""
    minx, miny, maxx, maxy = boundary.bounds
    xs = np.arange(np.floor(minx / 100) * 100 + 50, maxx, 100)
    ys = np.arange(np.floor(miny / 100) * 100 + 50, maxy, 100)
    X, Y = np.meshgrid(xs, ys)
    X, Y = X.ravel(), Y.ravel()

    empty = shapely.union_all(
        [
            river.buffer(20),
            railway.buffer(25),
            forest,
            baugebiet.buffer(20),
            *parks.values(),
            *industry.values(),
        ]
    )
    ok = shapely.contains_xy(boundary, X, Y) & ~shapely.contains_xy(empty, X, Y)
    X, Y = X[ok], Y[ok]
    rn = rnorm(X, Y)
    # fields at the periphery: increasingly many empty cells
    p_empty = 0.04 + 0.7 * np.clip((rn - 0.55) / 0.45, 0, 1) ** 2
    ok = rng.random(len(X)) >= p_empty
    X, Y, rn = X[ok], Y[ok], rn[ok]

    st = assign_stadtteil(X, Y, stadtteile)
    n_st = len(stadtteile)
    st_density = rng.lognormal(0, 0.35, n_st)
    # age profile per Stadtteil: -1 = very young, +1 = very old
    st_age = rng.uniform(-1, 1, n_st)
    st_age[rng.choice(n_st, 4, replace=False)] = 1.0  # a few clearly old Stadtteile
    st_age[rng.choice(n_st, 3, replace=False)] = -1.0  # a few clearly young ones

    density = 3.0 * np.exp(-rn / 0.25) + 1.0 * np.exp(-rn / 0.6) + 0.1
    weight = density * st_density[st] * rng.lognormal(0, 0.45, len(X))
    einwohner = rng.multinomial(TOTAL_POPULATION, weight / weight.sum())

    a = st_age[st][:, None]
    factors = np.array([-0.45, -0.35, -0.1, 0.6, 0.8])
    shares = AGE_BASE_SHARES * (1 + a * factors) * rng.lognormal(0, 0.12, (len(X), 5))
    shares /= shares.sum(axis=1, keepdims=True)
    ages = rng.multinomial(einwohner, shares)

    keep = einwohner > 0
    df = pd.DataFrame(
        {"x": X[keep].astype(np.int64), "y": Y[keep].astype(np.int64), "einwohner": einwohner[keep]}
    )
    for k, c in enumerate(AGE_COLUMNS):
        df[c] = ages[keep, k].astype(np.int64)
    df["gitter_id"] = [
        f"100mN{(y - 50) // 100:05d}E{(x - 50) // 100:05d}"
        for x, y in zip(df["x"], df["y"], strict=True)
    ]
    df["_st"] = st[keep]
    df = df.sort_values(["y", "x"]).reset_index(drop=True)
    return df[["gitter_id", "x", "y", "einwohner", *AGE_COLUMNS, "_st"]]


# ---------------------------------------------------------------------------
# facilities
# ---------------------------------------------------------------------------

PH_NAMES = [
    "Haus St. Anna",
    "Seniorenzentrum Lindenhof",
    "Pflegeheim Abendrot",
    "Haus Sonnenhof",
    "Seniorenresidenz Am Park",
    "Altenpflegeheim St. Elisabeth",
    "Haus am Mühlbach",
    "Seniorenstift Rosengarten",
    "Pflegezentrum Kastanienhof",
    "Haus Regenbogen",
    "Seniorenheim Am Wasserturm",
    "Pflegeheim Zum Guten Hirten",
    "Haus Lebensabend",
    "Seniorenzentrum Ährenfeld",
    "Evangelisches Altenheim",
    "Caritas-Altenzentrum St. Josef",
    "AWO-Seniorenzentrum",
    "DRK-Pflegeheim Haus Birkenhain",
    "Haus Lerchenberg",
    "Seniorenwohnpark Uferblick",
    "Pflegeheim Haus Friedensruh",
    "Seniorenhaus Morgenröte",
    "Haus Eichengrund",
    "Pflegewohnstift Schönblick",
    "Haus Mühlenblick",
]
KITA_NAMES = [
    "Sonnenschein",
    "Regenbogen",
    "Pusteblume",
    "Kunterbunt",
    "Zwergenland",
    "Spatzennest",
    "Löwenzahn",
    "Wirbelwind",
    "Sternschnuppe",
    "Marienkäfer",
    "Schatzkiste",
    "Purzelbaum",
    "Villa Kunterbunt",
    "Rappelkiste",
    "Arche Noah",
    "Sausewind",
    "Märchenwald",
    "Glühwürmchen",
    "Flohkiste",
    "Schneckenhaus",
    "Igelnest",
    "Bärenhöhle",
    "Abenteuerland",
    "Wichtelhaus",
    "Fröschlein",
    "Kleine Strolche",
    "Blauer Elefant",
    "Sonnenblume",
    "Rasselbande",
    "Tausendfüßler",
]


def place_points(rng, cells, weights, n, min_dist, river, railway):
    """Pick n cells by weight (min distance between picks) and jitter inside the cell."""
    w = np.asarray(weights, dtype=float) + 1e-9  # strictly positive for rng.choice
    order = rng.choice(len(cells), size=len(cells), replace=False, p=w / w.sum())
    chosen = []
    for i in order:
        x, y = cells["x"].iat[i], cells["y"].iat[i]
        if all((x - a) ** 2 + (y - b) ** 2 >= min_dist**2 for a, b in chosen):
            chosen.append((x, y))
        if len(chosen) == n:
            break
    pts = []
    for x, y in chosen:
        px, py = x + rng.uniform(-40, 40), y + rng.uniform(-40, 40)
        pt = Point(round(px, 1), round(py, 1))
        if river.contains(pt) or railway.distance(pt) < 15:
            pt = Point(float(x), float(y))
        pts.append(pt)
    return pts


def make_facilities(rng, pop, stadtteile, river, railway):
    rows = []
    st_names = stadtteile["name"].to_numpy()
    old = pop["65_bis_79"] + pop["80_und_aelter"]

    # Pflegeheime: where very old people live
    for k, pt in enumerate(
        place_points(
            rng, pop, pop["80_und_aelter"].to_numpy() ** 1.5 + 0.01, 22, 500, river, railway
        )
    ):
        rows.append(("PH", "pflegeheim", PH_NAMES[k], int(rng.integers(60, 181)), pt))

    # Seniorentreffs: deliberately uneven. Some Stadtteile get 2-3, some 1, most none.
    st_old = pop.groupby("_st")["65_bis_79"].sum() + pop.groupby("_st")["80_und_aelter"].sum()
    candidates = st_old[st_old > 300].index.to_numpy()
    served = rng.choice(candidates, 12, replace=False)
    n_per = [3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1]
    k_treff = 0
    for s, n in zip(served, n_per, strict=True):
        sel = pop["_st"].to_numpy() == s
        cells = pop[sel]
        pts = place_points(rng, cells, (old[sel].to_numpy() + 0.01) ** 2, n, 550, river, railway)
        for j, pt in enumerate(pts):
            # "{st}" is filled in with the Stadtteil the point actually lies in
            nm = ["Seniorentreff {st}", "Begegnungsstätte {st}", "Seniorencafé {st}"][j]
            rows.append(("ST", "seniorentreff", nm, int(rng.integers(20, 81)), pt))
            k_treff += 1

    # Beratungsstellen: mostly central
    central = np.exp(-rnorm(pop["x"], pop["y"]) / 0.3) * pop["einwohner"]
    bs_kinds = [
        "Pflegestützpunkt",
        "Seniorenberatung",
        "Sozialberatung",
        "Schuldnerberatung",
        "Erziehungsberatung",
        "Familienberatung",
        "Wohnberatung",
        "Migrationsberatung",
        "Suchtberatung",
        "Pflegeberatung",
    ]
    pts = place_points(rng, pop, central.to_numpy(), 10, 400, river, railway)
    for k, pt in enumerate(pts):
        rows.append(("BS", "beratungsstelle", bs_kinds[k] + " {st}", int(rng.integers(5, 31)), pt))

    # Kitas: where young children live
    for k, pt in enumerate(
        place_points(rng, pop, pop["unter_6"].to_numpy() + 0.01, 150, 250, river, railway)
    ):
        rows.append(
            (
                "KT",
                "kita",
                f"Kita {KITA_NAMES[k % len(KITA_NAMES)]}",
                int(rng.integers(40, 151)),
                pt,
            )
        )

    geoms = [r[4] for r in rows]
    st_idx = assign_stadtteil(shapely.get_x(geoms), shapely.get_y(geoms), stadtteile)
    ids, names, counters = [], [], {}
    seen = set()
    for r, si in zip(rows, st_idx, strict=True):
        counters[r[0]] = counters.get(r[0], 0) + 1
        ids.append(f"{r[0]}{counters[r[0]]:03d}")
        nm = r[2].format(st=st_names[si])
        if nm in seen:  # e.g. a second "Kita Regenbogen": add the Stadtteil name
            nm = f"{nm} {st_names[si]}"
        base, k = nm, 2
        while nm in seen:
            nm = f"{base} {k}"
            k += 1
        seen.add(nm)
        names.append(nm)
    fac = gpd.GeoDataFrame(
        {
            "einrichtung_id": ids,
            "art": [r[1] for r in rows],
            "name": names,
            "plaetze": np.array([r[3] for r in rows], dtype=np.int64),
            "stadtteil_id": stadtteile["stadtteil_id"].to_numpy()[st_idx],
        },
        geometry=geoms,
        crs=CRS,
    )
    return fac


def coverage_65(pop, fac, stadtteile, radius=500.0):
    """Share of people 65+ per Stadtteil living within `radius` of a Seniorentreff."""
    treffs = fac[fac["art"] == "seniorentreff"]
    tx, ty = shapely.get_x(treffs.geometry.values), shapely.get_y(treffs.geometry.values)
    d2 = (pop["x"].to_numpy()[:, None] - tx) ** 2 + (pop["y"].to_numpy()[:, None] - ty) ** 2
    covered = (d2 <= radius**2).any(axis=1)
    old = pop["65_bis_79"] + pop["80_und_aelter"]
    share = (old * covered).groupby(pop["_st"]).sum() / old.groupby(pop["_st"]).sum()
    return pd.Series(share.to_numpy(), index=stadtteile["stadtteil_id"].to_numpy()[share.index])


# ---------------------------------------------------------------------------
# indicator table
# ---------------------------------------------------------------------------


def fmt_int(n):
    """German thousands separator: 12345 -> '12.345'."""
    return f"{int(n):,}".replace(",", ".")


def fmt_dec(x):
    """One decimal with decimal comma: 12.34 -> '12,3'."""
    return f"{x:.1f}".replace(".", ",")


def make_indicator_csv(rng, pop, stadtteile, path):
    """Write the indicator table like a German statistics office delivers it."""
    g = pop.groupby("_st")
    tot = g["einwohner"].sum().reindex(range(len(stadtteile)), fill_value=0).to_numpy()
    old = (
        (g["65_bis_79"].sum() + g["80_und_aelter"].sum())
        .reindex(range(len(stadtteile)), fill_value=0)
        .to_numpy()
    )
    u6 = g["unter_6"].sum().reindex(range(len(stadtteile)), fill_value=0).to_numpy()
    work = g["18_bis_64"].sum().reindex(range(len(stadtteile)), fill_value=0).to_numpy()
    young = tot - old

    social = np.clip(rng.beta(2, 3, len(stadtteile)), 0, 1)  # 0 = affluent, 1 = deprived
    sgb_q = 3 + 22 * social * rng.uniform(0.85, 1.0, len(social))
    sgb_n = np.round(sgb_q / 100 * young).astype(int)
    labour = np.round(work * 0.74).astype(int)
    alq = 2.5 + 11 * social * rng.uniform(0.8, 1.0, len(social))
    alo_n = np.round(alq / 100 * labour).astype(int)
    grusi = 1.5 + 8 * social * rng.uniform(0.7, 1.0, len(social))
    allein = np.round(tot / 1.9 * (0.025 + 0.035 * social)).astype(int)

    # statistical confidentiality: the smallest Stadtteile
    order = np.argsort(tot, kind="stable")
    suppressed = {int(order[0]), int(order[1])}  # "." for a small count
    allein[order[2]] = 0  # "-" for a true zero

    header = [
        "Stadtteil",
        "Name",
        " Einwohner insgesamt ",
        "Einwohner 65 und älter",
        "Einwohner unter 6",
        "SGB-II-Leistungsberechtigte",
        "SGB-II-Quote in %",
        "Arbeitslose ",
        "Arbeitslosenquote in %",
        "Grundsicherung im Alter in %",
        "Alleinerziehende Haushalte",
    ]
    lines = [";".join(header)]
    for i in range(len(stadtteile)):
        sgb_quote = 100 * sgb_n[i] / young[i] if young[i] else 0.0
        alo_quote = 100 * alo_n[i] / labour[i] if labour[i] else 0.0
        if i in suppressed:
            allein_s = "."
        elif allein[i] == 0:
            allein_s = "-"
        else:
            allein_s = fmt_int(allein[i])
        lines.append(
            ";".join(
                [
                    stadtteile["stadtteil_id"].iat[i],
                    stadtteile["name"].iat[i],
                    fmt_int(tot[i]),
                    fmt_int(old[i]),
                    fmt_int(u6[i]),
                    fmt_int(sgb_n[i]),
                    fmt_dec(sgb_quote),
                    fmt_int(alo_n[i]),
                    fmt_dec(alo_quote),
                    fmt_dec(grusi[i]),
                    allein_s,
                ]
            )
        )
    with open(path, "w", encoding="cp1252", newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")


def write_population_csv(pop, path):
    cols = ["gitter_id", "x", "y", "einwohner", *AGE_COLUMNS]
    out = [";".join(cols)]
    for row in pop[cols].itertuples(index=False):
        out.append(";".join(str(v) for v in row))
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(out) + "\n")


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def main(argv=None):
    repo = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out", type=Path, default=repo / "data" / "geometries", help="output directory"
    )
    args = ap.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rng = np.random.default_rng(SEED)

    boundary = make_boundary(rng)
    centreline, river = make_river(boundary)
    railway = make_railway(boundary)
    parks, forest, industry = make_landuse(rng, boundary, river, centreline)
    baugebiet = make_baugebiet(boundary)
    stadtteile, bezirke = make_stadtteile(rng, boundary, railway)
    streets = make_streets(rng, boundary, river, railway, parks, forest, baugebiet)
    pop = make_population(
        rng, boundary, river, railway, stadtteile, parks, forest, industry, baugebiet
    )
    fac = make_facilities(rng, pop, stadtteile, river, railway)

    # --- GeoPackage
    gpkg = out / "musterstadt.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    layers = {
        "stadtgrenze": gpd.GeoDataFrame(
            {"name": ["Musterstadt (synthetisch)"], "quelle": [QUELLE]},
            geometry=[boundary],
            crs=CRS,
        ),
        "stadtbezirke": bezirke,
        "stadtteile": stadtteile,
        "strassen": streets,
        "gewaesser": gpd.GeoDataFrame({"name": ["Muster"]}, geometry=[river], crs=CRS),
        "bahnstrecken": gpd.GeoDataFrame(
            {"name": ["Bahnstrecke Nordhafen–Südheim (synthetisch)"]}, geometry=[railway], crs=CRS
        ),
        "einrichtungen": fac,
        "baugebiet": gpd.GeoDataFrame(
            {
                "name": ["Bebauungsplan Nr. 123 'Am Mühlenfeld'"],
                "wohneinheiten": np.array([450], dtype=np.int64),
                "status": ["geplant"],
            },
            geometry=[baugebiet],
            crs=CRS,
        ),
    }
    for name, gdf in layers.items():
        gdf.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio")

    # --- CSV files
    write_population_csv(pop, out / "bevoelkerung_100m.csv")
    make_indicator_csv(rng, pop, stadtteile, out / "indikatoren_stadtteile.csv")

    # --- summary
    cov = coverage_65(pop, fac, stadtteile)
    print(f"Musterstadt written to {out} in {time.perf_counter() - t0:.1f} s")
    for name, gdf in layers.items():
        print(f"  {name:14s} {len(gdf):6d} features")
    print(f"  population     {int(pop['einwohner'].sum()):6d} in {len(pop)} populated 100 m cells")
    print(
        f"  streets: {int((streets['bridge'] == 'T').sum())} bridges, {int((streets['tunnel'] == 'T').sum())} underpasses"
    )
    print(f"  facilities: {fac['art'].value_counts().to_dict()}")
    print(
        f"  65+ within 500 m of a Seniorentreff per Stadtteil: min {cov.min():.0%}, "
        f"median {cov.median():.0%}, max {cov.max():.0%}; {int((cov == 0).sum())} Stadtteile at 0%"
    )


if __name__ == "__main__":
    main()
