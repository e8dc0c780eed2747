"""Read GTFS feeds into flat arrays for the router (private).

Feeds are zip files or folders. Several feeds are read together; their ids
are prefixed with the feed number so that they cannot collide. Only the
trips running on the service date are kept (``calendar.txt`` by weekday and
date range, then ``calendar_dates.txt``: 1 adds, 2 removes), plus the trips
of the day before whose times pass midnight (shifted by -24 h), so a window
in the early morning sees the night trips of the previous service day.

Trips listed in ``frequencies.txt`` are templates: their stop times give the
running times only, and the trip runs every ``headway_secs`` from
``start_time`` until before ``end_time`` (the departures of ``exact_times=1``;
with ``exact_times=0`` the feed promises only the headway, and these regular
departures stand for it).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from quartier.errors import ColumnError, DataError, InputFileError, MissingFileError

DAY = 86_400
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass
class Timetable:
    """Stops and stop events of the trips running on one date (seconds after midnight)."""

    stop_ids: np.ndarray  # str, feed-prefixed when several feeds
    stop_names: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    trip: np.ndarray  # int trip number per stop event, events sorted by trip then sequence
    stop: np.ndarray  # int stop position per event
    arr: np.ndarray  # int seconds
    dep: np.ndarray
    n_trips: int


def _reader(feed: Path):
    if not feed.exists():
        raise MissingFileError(f"GTFS feed {str(feed)!r} does not exist; give a zip file or a folder.")
    if feed.is_dir():
        names = {p.name for p in feed.iterdir()}

        def read(name):
            return (feed / name).read_bytes() if name in names else None
        return read
    try:
        zf = zipfile.ZipFile(feed)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(f"GTFS feed {str(feed)!r} is not a zip file or folder: {exc}") from exc
    names = {Path(n).name: n for n in zf.namelist()}

    def read(name):
        return zf.read(names[name]) if name in names else None
    return read


def _table(read, feed: Path, name: str, cols: list[str], required: bool = True):
    raw = read(name)
    if raw is None:
        if required:
            raise MissingFileError(f"GTFS feed {str(feed)!r} has no {name}; every feed needs it.")
        return None
    df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ColumnError(f"{name} of GTFS feed {str(feed)!r} lacks column(s) {missing}.")
    return df


def parse_times(values: pd.Series, *, what: str) -> np.ndarray:
    """``HH:MM:SS`` (hours may pass 24, one or two digits) to seconds; empty cells to -1."""
    s = values.to_numpy(dtype=str)
    s = np.char.strip(s)
    empty = s == ""
    lens = np.char.str_len(s)
    out = np.full(len(s), -1, dtype=np.int64)
    for width in np.unique(lens[~empty]):
        rows = np.flatnonzero((lens == width) & ~empty)
        chars = s[rows].astype(f"U{width}").view(np.uint32).reshape(len(rows), width)
        digits = chars.astype(np.int64) - 48
        colon = chars == 58
        if width < 7 or not (colon[:, -3].all() and colon[:, -6].all()):
            bad = s[rows][~(colon[:, -3] & colon[:, -6])] if width >= 7 else s[rows]
            raise DataError(f"{what}: times must be HH:MM:SS, e.g. {bad[0]!r} is not.")
        num = np.delete(digits, [width - 3, width - 6], axis=1)
        if ((num < 0) | (num > 9)).any():
            bad = s[rows][((num < 0) | (num > 9)).any(axis=1)]
            raise DataError(f"{what}: times must be HH:MM:SS, e.g. {bad[0]!r} is not.")
        hours = np.zeros(len(rows), np.int64)
        for k in range(width - 6):
            hours = hours * 10 + num[:, k]
        mins = num[:, -4] * 10 + num[:, -3]
        secs = num[:, -2] * 10 + num[:, -1]
        out[rows] = hours * 3600 + mins * 60 + secs
    return out


def active_services(read, feed: Path, date: dt.date) -> set[str]:
    """Service ids running on ``date`` (calendar.txt, then calendar_dates.txt)."""
    active: set[str] = set()
    key = date.strftime("%Y%m%d")
    cal = _table(read, feed, "calendar.txt",
                 ["service_id", "start_date", "end_date", *WEEKDAYS], required=False)
    if cal is not None and len(cal):
        day = cal[WEEKDAYS[date.weekday()]].str.strip() == "1"
        within = (cal["start_date"].str.strip() <= key) & (cal["end_date"].str.strip() >= key)
        active |= set(cal.loc[day & within, "service_id"])
    dates = _table(read, feed, "calendar_dates.txt", ["service_id", "date", "exception_type"],
                   required=False)
    if cal is None and dates is None:
        raise MissingFileError(f"GTFS feed {str(feed)!r} has neither calendar.txt nor "
                               "calendar_dates.txt; one of them says which days trips run.")
    if dates is not None and len(dates):
        today = dates[dates["date"].str.strip() == key]
        kind = today["exception_type"].str.strip()
        active |= set(today.loc[kind == "1", "service_id"])
        active -= set(today.loc[kind == "2", "service_id"])
    return active


def _interpolate(trip: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Fill missing times (-1) linearly by position within each trip."""
    missing = t < 0
    if not missing.any():
        return t
    out = t.astype(float)
    out[missing] = np.nan
    s = pd.Series(out)
    filled = s.groupby(trip).transform(lambda x: x.interpolate(limit_area="inside"))
    return np.round(filled.fillna(-1).to_numpy()).astype(np.int64)


def _expand_frequencies(ev: pd.DataFrame, trip_ids, freq: pd.DataFrame | None, shift: int,
                        what: str) -> tuple[pd.DataFrame, int]:
    """Replace every trip of ``frequencies.txt`` by its runs; returns events and trip count.

    ``ev`` holds the events of one feed and day with local trip codes (``trip_ids[code]``),
    ordered by trip and sequence; times already include ``shift``.
    """
    n_trips = len(trip_ids)
    if freq is None or freq.empty:
        return ev, n_trips
    code = pd.Index(trip_ids).get_indexer(freq["trip_id"].str.strip())
    rows = freq[code >= 0]
    code = code[code >= 0]
    if not len(rows):
        return ev, n_trips
    fwhat = what.replace("stop_times.txt", "frequencies.txt")
    start = parse_times(rows["start_time"], what=fwhat)
    end = parse_times(rows["end_time"], what=fwhat)
    head = pd.to_numeric(rows["headway_secs"].str.strip(), errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(head) & (head > 0)) | (start < 0) | (end < 0)
    if bad.any():
        first = rows.iloc[int(np.flatnonzero(bad)[0])]
        raise DataError(f"{fwhat}: row of trip {first['trip_id']!r} needs start_time and "
                        f"end_time as HH:MM:SS and headway_secs above 0 (seconds), not "
                        f"{first['start_time']!r}, {first['end_time']!r}, "
                        f"{first['headway_secs']!r}.")
    templated = ev["trip"].isin(set(code.tolist()))
    parts = [ev[~templated]]
    for c, t0, t1, h in zip(code, start, end, head, strict=True):
        tpl = ev[ev["trip"] == c]
        if tpl.empty:
            continue
        runs = np.arange(t0, t1, h).round().astype(np.int64) + shift
        m, k = len(tpl), len(runs)
        base = int(tpl["dep"].iloc[0])
        parts.append(pd.DataFrame({
            "trip": np.repeat(np.arange(n_trips, n_trips + k), m),
            "stop_id": np.tile(tpl["stop_id"].to_numpy(), k),
            "arr": np.tile(tpl["arr"].to_numpy() - base, k) + np.repeat(runs, m),
            "dep": np.tile(tpl["dep"].to_numpy() - base, k) + np.repeat(runs, m)}))
        n_trips += k
    return pd.concat(parts, ignore_index=True), n_trips


def read_feeds(feeds, date: dt.date, *, earliest: int, latest: int) -> Timetable:
    """The timetable of ``date`` from several feeds, events within [earliest, latest] s."""
    if isinstance(feeds, (str, Path)):
        feeds = [feeds]
    feeds = [Path(f) for f in feeds]
    prefix = len(feeds) > 1
    stops_all, events = [], []
    trip_offset = 0
    for k, feed in enumerate(feeds):
        read = _reader(feed)
        pre = f"{k}:" if prefix else ""
        stops = _table(read, feed, "stops.txt", ["stop_id", "stop_lat", "stop_lon"])
        trips = _table(read, feed, "trips.txt", ["trip_id", "service_id"])
        st = _table(read, feed, "stop_times.txt",
                    ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"])
        freq = _table(read, feed, "frequencies.txt",
                      ["trip_id", "start_time", "end_time", "headway_secs"], required=False)
        for shift, day in ((0, date), (-DAY, date - dt.timedelta(days=1))):
            services = active_services(read, feed, day)
            run = trips.loc[trips["service_id"].isin(services), "trip_id"]
            sub = st[st["trip_id"].isin(set(run))]
            if sub.empty:
                continue
            what = f"stop_times.txt of {str(feed)!r}"
            arr = parse_times(sub["arrival_time"], what=what)
            dep = parse_times(sub["departure_time"], what=what)
            arr = np.where(arr < 0, dep, arr)
            dep = np.where(dep < 0, arr, dep)
            seq = pd.to_numeric(sub["stop_sequence"], errors="coerce").to_numpy()
            if np.isnan(seq).any():
                raise DataError(f"{what}: stop_sequence must be whole numbers.")
            codes, uniq = pd.factorize(sub["trip_id"])
            order = np.lexsort((seq, codes))
            codes, arr, dep = codes[order], arr[order], dep[order]
            arr = _interpolate(codes, arr)
            dep = _interpolate(codes, dep)
            timed = (arr >= 0) & (dep >= 0)  # unfilled times at the ends of a trip
            ev = pd.DataFrame({"trip": codes,
                               "stop_id": pre + sub["stop_id"].to_numpy()[order],
                               "arr": arr + shift, "dep": dep + shift})[timed]
            ev, n_trips = _expand_frequencies(ev, uniq, freq, shift, what)
            ev["trip"] += trip_offset
            trip_offset += n_trips
            # keep whole trips that touch the interval
            per = ev.groupby("trip").agg(first=("dep", "min"), last=("arr", "max"))
            keep = per.index[(per["last"] >= earliest) & (per["first"] <= latest)]
            events.append(ev[ev["trip"].isin(keep)])
        stops = stops.assign(stop_id=pre + stops["stop_id"])
        stops_all.append(stops)
    stops = pd.concat(stops_all, ignore_index=True).drop_duplicates("stop_id")
    ev = (pd.concat(events, ignore_index=True) if events
          else pd.DataFrame({"trip": [], "stop_id": [], "arr": [], "dep": []}))
    used = pd.Index(pd.unique(ev["stop_id"]))
    known = stops.set_index("stop_id").reindex(used)
    lat = pd.to_numeric(known["stop_lat"], errors="coerce").to_numpy()
    lon = pd.to_numeric(known["stop_lon"], errors="coerce").to_numpy()
    bad = np.isnan(lat) | np.isnan(lon)
    if bad.any():
        raise DataError(f"{int(bad.sum())} stop(s) used in stop_times.txt have no coordinates in "
                        f"stops.txt (e.g. {list(used[bad][:5])}); fix stops.txt.")
    trip_codes, _ = pd.factorize(ev["trip"])
    names = known["stop_name"].to_numpy() if "stop_name" in known else used.to_numpy()
    return Timetable(used.to_numpy(), names, lon, lat, trip_codes.astype(np.int64),
                     used.get_indexer(ev["stop_id"]).astype(np.int64),
                     ev["arr"].to_numpy(np.int64), ev["dep"].to_numpy(np.int64),
                     int(trip_codes.max()) + 1 if len(trip_codes) else 0)
