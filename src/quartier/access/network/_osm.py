"""Read the ways a profile may use from OpenStreetMap files with pyosmium (private helper)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from quartier._optional import import_optional
from quartier.access.network._driving import NO_SNAP, car_speeds
from quartier.errors import InputFileError

OSM_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf", ".pbf", ".o5m")


def read_osm_ways(path: Path, profile):
    """Node ids, lon/lat and the consecutive node pairs of the usable ways.

    Returns
    -------
    node_ids : (N,) int64, lon : (N,), lat : (N,)
    u, v : (E,) int positions into node_ids (consecutive nodes of a way)
    level : (E,) int
        Level of each segment's way: its ``layer`` tag, else 1 for a bridge,
        -1 for a tunnel (``building_passage`` included), else 0.
    report : dict
        ``ways_used``, ``ways_skipped`` (Counter of highway values not
        usable by the profile), ``segments_missing`` (segments whose nodes
        have no location in the file); for a driving profile also ``speed``,
        (E, 2) km/h along and against each segment's way (0: closed, one-way),
        and ``snap`` (E,): whether locations may join the segment (not on
        motorways and trunk roads).
    """
    osmium = import_optional("osmium", purpose="reading OpenStreetMap files (StreetNetwork.from_osm)")

    refs: list[int] = []
    levels: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    way_break: list[int] = []
    driving = profile.driving
    table = profile.speed_table
    fwd: list[float] = []
    bwd: list[float] = []
    snaps: list[bool] = []
    skipped: Counter = Counter()
    used = 0
    missing = 0
    try:
        proc = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in proc:
            tags = dict(way.tags)
            if not profile.allows_osm(tags):
                skipped[tags.get("highway", "?")] += 1
                continue
            used += 1
            start = len(refs)
            level = way_level(tags)
            if driving:
                sf, sb = car_speeds(tags, table, profile.speed_kmh)
                snap_ok = tags.get("highway") not in NO_SNAP
            for n in way.nodes:
                loc = n.location
                if loc.valid():
                    refs.append(n.ref)
                    levels.append(level)
                    if driving:
                        fwd.append(sf)
                        bwd.append(sb)
                        snaps.append(snap_ok)
                    lons.append(loc.lon)
                    lats.append(loc.lat)
                else:
                    # a node outside the extract: the way is cut there
                    missing += 1
                    way_break.append(len(refs))
            way_break.append(len(refs))
            if len(refs) - start < 2:
                del refs[start:], lons[start:], lats[start:], levels[start:]
                del fwd[start:], bwd[start:], snaps[start:]
                while way_break and way_break[-1] > start:
                    way_break.pop()
    except RuntimeError as err:
        raise InputFileError(
            f"OpenStreetMap file '{path}' could not be read ({err}). Give an .osm, .osm.gz or "
            ".osm.pbf file, e.g. an extract from download.geofabrik.de or the OSM API."
        ) from err
    refs_a = np.asarray(refs, np.int64)
    breaks = np.zeros(refs_a.size + 1, bool)
    if way_break:
        breaks[np.asarray(way_break, np.int64)] = True
    node_ids, inverse = np.unique(refs_a, return_inverse=True)
    lon = np.zeros(node_ids.size)
    lat = np.zeros(node_ids.size)
    lon[inverse] = lons
    lat[inverse] = lats
    cont = ~breaks[1:-1] if refs_a.size > 1 else np.zeros(0, bool)
    u = inverse[:-1][cont]
    v = inverse[1:][cont]
    level = np.asarray(levels, np.int64)[:-1][cont] if refs_a.size > 1 else np.zeros(0, np.int64)
    report = {"ways_used": used, "ways_skipped": skipped, "nodes_missing": missing}
    if driving:
        sp = np.column_stack([np.asarray(fwd, float), np.asarray(bwd, float)]).reshape(-1, 2)
        report["speed"] = sp[:-1][cont] if refs_a.size > 1 else np.zeros((0, 2))
        sn = np.asarray(snaps, bool)
        report["snap"] = sn[:-1][cont] if refs_a.size > 1 else np.zeros(0, bool)
    return node_ids, lon, lat, u, v, level, report


def way_level(tags) -> int:
    """Level of an OSM way: ``layer``, else 1 for a bridge, -1 for a tunnel, else 0."""
    try:
        layer = int(round(float(tags.get("layer", 0))))
    except (TypeError, ValueError):
        layer = 0
    if layer:
        return layer
    if tags.get("bridge", "no") not in ("no", ""):
        return 1
    if tags.get("tunnel", "no") not in ("no", ""):
        return -1
    return 0
