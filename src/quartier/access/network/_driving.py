"""The driving profile: road classes, speed limits, one-way streets, access (private helper).

Speeds are km/h per direction of an OSM way: the tagged ``maxspeed`` where
it can be read, else the speed of its road class (:data:`CAR_SPEEDS`); 0
closes a direction (one-way streets). Every speed is capped at the
profile's top speed.
"""

from __future__ import annotations

import re

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from quartier.errors import ParameterError

#: typical driving speeds (km/h) of road classes without a readable ``maxspeed`` tag
CAR_SPEEDS = {
    "motorway": 120.0, "motorway_link": 60.0,
    "trunk": 100.0, "trunk_link": 50.0,
    "primary": 80.0, "primary_link": 50.0,
    "secondary": 70.0, "secondary_link": 50.0,
    "tertiary": 60.0, "tertiary_link": 40.0,
    "unclassified": 50.0, "road": 40.0,
    "residential": 30.0, "living_street": 7.0, "service": 20.0,
}
#: classes locations do not join (nobody gets on a motorway from a house or a field)
NO_SNAP = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
#: classes never driven on (also everything not in CAR_SPEEDS)
CAR_EXCLUDED = ("footway", "path", "pedestrian", "steps", "cycleway", "track", "bridleway")
#: ``maxspeed`` words and German zone values (km/h); None: the class speed
_WORDS = {
    "de:urban": 50.0, "de:rural": 100.0, "de:motorway": None, "de:trunk": None, "none": None,
    "de:living_street": 7.0, "de:walk": 7.0, "walk": 7.0, "de:zone30": 30.0, "de:zone:30": 30.0,
    "de:zone20": 20.0, "de:zone:20": 20.0, "de:bicycle_road": 30.0, "signals": None,
    "variable": None, "at:urban": 50.0, "at:rural": 100.0, "ch:urban": 50.0, "ch:rural": 80.0,
}
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")
#: values of the access keys that close a way for cars
_CAR_NO = {"no", "private", "agricultural", "forestry", "agricultural;forestry",
           "forestry;agricultural", "emergency", "psv", "bus", "delivery", "permit", "military"}
#: from the least to the most specific access key: the most specific tagged one decides
_ACCESS_KEYS = ("access", "vehicle", "motor_vehicle", "motorcar")


def parse_maxspeed(value, class_speed: float) -> float:
    """The speed (km/h) a ``maxspeed`` value gives, or ``class_speed`` if it has none.

    ``"50"`` and ``"50 km/h"`` give 50, ``"30 mph"`` 48.28, ``"DE:urban"`` 50,
    ``"DE:rural"`` 100, ``"DE:zone30"`` 30, ``"DE:living_street"``/``"walk"`` 7;
    ``"none"``, ``"DE:motorway"``, ``"signals"`` and values that cannot be read
    (``"fast"``, ``"0"``, ``"50;30"``) give the class speed.
    """
    if value is None:
        return class_speed
    text = str(value).strip().lower()
    if text in _WORDS:
        known = _WORDS[text]
        return class_speed if known is None else known
    m = _NUMBER.match(text)
    if not m:
        return class_speed
    speed = float(m.group(1).replace(",", "."))
    unit = m.group(2)
    if unit == "mph":
        speed *= 1.609344
    elif unit == "knots":
        speed *= 1.852
    return speed if speed > 0 else class_speed


def car_allows(tags, speeds) -> bool:
    """Whether a car may use an OSM way with these tags (``speeds``: the class table)."""
    hw = tags.get("highway")
    if not speeds.get(hw) or tags.get("area") == "yes":
        return False
    decision = None
    for key in _ACCESS_KEYS:
        val = tags.get(key)
        if val is not None:
            decision = val.strip().lower() not in _CAR_NO
    return decision is not False


def oneway_of(tags) -> int:
    """1: only along the way's node order; -1: only against it; 0: both ways."""
    val = str(tags.get("oneway:motorcar", tags.get("oneway", ""))).strip().lower()
    if val in ("yes", "true", "1"):
        return 1
    if val in ("-1", "reverse"):
        return -1
    if val in ("no", "false", "0"):
        return 0
    if tags.get("junction") in ("roundabout", "circular"):
        return 1
    if tags.get("highway") in ("motorway", "motorway_link"):  # implied by OSM convention
        return 1
    return 0


def car_speeds(tags, speeds, top: float) -> tuple[float, float]:
    """Speeds (km/h) along and against a way's node order; 0 where closed."""
    cls = speeds.get(tags.get("highway"), 0.0)
    base = parse_maxspeed(tags.get("maxspeed"), cls)
    fwd = parse_maxspeed(tags.get("maxspeed:forward"), base)
    bwd = parse_maxspeed(tags.get("maxspeed:backward"), base)
    fwd, bwd = min(fwd, top), min(bwd, top)
    one = oneway_of(tags)
    return (0.0 if one == -1 else fwd), (0.0 if one == 1 else bwd)


def merge_directed(u, v, length, level, speed, snap):
    """Drop self-loops, order u < v and merge parallel edges, per direction.

    ``speed`` is (E, 2): km/h from u to v and from v to u (0: closed). Of
    parallel edges the shortest length (and its level) is kept, in each
    direction the fastest speed, and locations may snap if onto any of them.
    """
    u = np.asarray(u, np.int64)
    v = np.asarray(v, np.int64)
    length = np.asarray(length, float)
    level = np.asarray(level, np.int64)
    speed = np.asarray(speed, float).reshape(-1, 2)
    snap = np.asarray(snap, bool)
    keep = u != v
    u, v, length, level, speed, snap = (x[keep] for x in (u, v, length, level, speed, snap))
    flip = u > v
    a, b = np.where(flip, v, u), np.where(flip, u, v)
    speed = np.where(flip[:, None], speed[:, ::-1], speed)
    order = np.lexsort((np.abs(level), length, b, a))
    a, b, length, level, speed, snap = (x[order] for x in (a, b, length, level, speed, snap))
    first = np.ones(a.size, bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    starts = np.flatnonzero(first)
    if a.size:
        speed = np.column_stack([np.maximum.reduceat(speed[:, k], starts) for k in (0, 1)])
        snap = np.logical_or.reduceat(snap, starts)
    else:
        speed, snap = speed[:0], snap[:0]
    return a[first], b[first], length[first], level[first], speed, snap


def directed_costs(length, speed, unit: str):
    """Costs (minutes or metres) from u to v and from v to u; inf where closed."""
    out = []
    for k in (0, 1):
        s = speed[:, k]
        open_ = s > 0
        per_m = np.where(open_, 60.0 / (np.where(open_, s, 1.0) * 1000.0), np.inf)
        if unit == "m":
            per_m = np.where(open_, 1.0, np.inf)
        out.append(np.where(open_, length * np.where(open_, per_m, 0.0), np.inf))
    return out[0], out[1]


def directed_adjacency(n: int, u, v, cost_uv, cost_vu):
    """CSR adjacency of the open directions (cost u -> v and v -> u; inf: closed)."""
    f, b = np.isfinite(cost_uv), np.isfinite(cost_vu)
    rows = np.concatenate([u[f], v[b]])
    cols = np.concatenate([v[f], u[b]])
    data = np.concatenate([cost_uv[f], cost_vu[b]]).astype(float)
    idx = np.int32 if n < 2**31 - 1 else np.int64
    m = sparse.csr_array((data, (rows.astype(idx), cols.astype(idx))), shape=(n, n))
    m.sort_indices()
    return m


def strong_components(n: int, u, v, speed) -> np.ndarray:
    """Strongly connected part of every node (one-way streets respected), 0 = largest."""
    if n == 0:
        return np.zeros(0, np.int64)
    g = directed_adjacency(n, u, v, np.where(speed[:, 0] > 0, 1.0, np.inf),
                           np.where(speed[:, 1] > 0, 1.0, np.inf))
    _, labels = csgraph.connected_components(g, directed=True, connection="strong")
    counts = np.bincount(labels)
    rank = np.empty(counts.size, np.int64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(counts.size)
    return rank[labels]


def speed_array(speed, n_edges: int, profile, source: str) -> np.ndarray:
    """Validated (E, 2) speeds in km/h (default: the profile's top speed both ways)."""
    if speed is None:
        return np.full((n_edges, 2), float(profile.speed_kmh))
    sp = np.asarray(speed, float)
    if sp.ndim == 1 and sp.size == n_edges:
        sp = np.column_stack([sp, sp])
    if sp.shape != (n_edges, 2):
        raise ParameterError(
            f"speed must give one value per edge ({n_edges}) or one per edge and direction "
            f"(shape ({n_edges}, 2)), not shape {np.shape(speed)} ({source})."
        )
    if not np.isfinite(sp).all() or (sp < 0).any():
        raise ParameterError(
            f"speed must be finite km/h of 0 or more (0 closes a direction) ({source})."
        )
    return sp


#: Geofabrik ``oneway`` codes (B both, F along the line, T against it) as OSM values
_ONEWAY_CODES = {"b": "no", "f": "yes", "t": "-1"}


def line_speeds(gdf, profile, class_col, maxspeed_col, oneway_col):
    """Per line of a GIS layer: (n, 2) km/h along and against it, and whether locations join.

    The class column gives the class speed; ``maxspeed`` (numbers or OSM values;
    0 or empty: unknown) and ``oneway`` (B/F/T as in Geofabrik data, or OSM values) are
    read where the columns exist.
    """
    import pandas as pd

    if class_col is None or class_col not in gdf.columns:
        raise ParameterError(
            f"profile='car' needs the road class of every line: class_col={class_col!r} is "
            "not a column. Give the column with OSM highway values (Geofabrik: 'fclass')."
        )
    table = profile.speed_table
    n = len(gdf)

    def column(name):
        if name is None or name not in gdf.columns:
            return [None] * n
        col = gdf[name]
        return col.astype(object).where(col.notna(), None).tolist()

    classes = [str(c).strip().lower() for c in gdf[class_col].tolist()]
    speed = np.zeros((n, 2))
    snap = np.ones(n, bool)
    for k, (cls, ms, one) in enumerate(zip(classes, column(maxspeed_col), column(oneway_col),
                                           strict=True)):
        tags = {"highway": cls}
        if ms is not None and not pd.isna(ms):
            tags["maxspeed"] = str(int(ms)) if isinstance(ms, float) and ms.is_integer() \
                else str(ms)
        if one is not None and str(one).strip():
            val = str(one).strip().lower()
            tags["oneway"] = _ONEWAY_CODES.get(val, val)
        speed[k] = car_speeds(tags, table, profile.speed_kmh)
        snap[k] = cls not in NO_SNAP
    return speed, snap
