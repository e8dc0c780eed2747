"""Travel times by bus and train from GTFS timetables: :class:`TransitNetwork`.

A :class:`TransitNetwork` reads one or more GTFS feeds for one service date
and answers the same questions as a street network (``cost_matrix``,
``nearest``), with costs in minutes, so it is accepted wherever ``network=``
is (``coverage``, ``fca``, ``cost_matrix``, ``nearest``).

Rules, stated once:

- **Departure window.** A journey starts at the origin at every ``step``
  minutes from ``start`` (included) to ``end`` (excluded), as r5py does; the
  cost of an origin-destination pair is the median (or another
  ``percentile``) of the travel times over these departures. A departure
  from which the destination cannot be reached counts as infinitely long, so
  a pair served only rarely can have no finite median: it is unreachable.
- **Walking.** To the first stop, between stops (transfers) and from the
  last stop, people walk ``detour`` (default 1.3) times the straight line at
  ``walk_speed_kmh`` (default 4.5 km/h), at most ``max_walk_m`` (access,
  egress and walking all the way) or ``max_transfer_m`` (a transfer) metres
  of walked distance; with ``streets=`` (a :class:`quartier.StreetNetwork`)
  the walking legs follow the streets instead. Walking all the way is always
  a candidate, so a travel time is never longer than the direct walk.
- **Transfers** take the walking time plus ``min_transfer`` minutes
  (default 0): every change of vehicle needs that time, also at the stop one
  arrives at. A walk between two stops follows a vehicle only (never the
  access walk, never another walk).
- **Horizon and cut-off.** Journeys are searched up to ``horizon``
  minutes; a departure whose travel time exceeds it counts as unreachable
  for the percentile, like one that cannot reach the destination at all.
  ``max_cost`` then keeps the pairs whose percentile is within it, so a
  smaller ``max_cost`` gives the same times for fewer pairs (a horizon close
  to the largest ``max_cost`` used searches less).
- **Engine.** A RAPTOR router of quartier's own (``max_rounds`` vehicles at
  most). ``engine="numba"`` runs a compiled range-RAPTOR (``pip install
  "quartier[fast]"``; 10-15 times faster over a window of departures),
  ``engine="numpy"`` the numpy version vectorised over origins and
  departure times; both give the same travel times. ``"auto"`` (default)
  takes numba for queries of 2,000 origins x departures or more when it is
  installed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from quartier._checks import positive_number
from quartier.access.costs import CostMatrix, point_coordinates
from quartier.access.transit import _raptor
from quartier.access.transit import _raptor_engine as _engine
from quartier.access.transit._gtfs import read_feeds
from quartier.access.transit._walk import Walking, min_plus
from quartier.errors import CRSError, DataError, ParameterError, ParameterTypeError
from quartier.io.crs import as_crs, require_metric
from quartier.settings import resolve_language

__all__ = ["TransitNetwork"]

#: Queries (origin x departure) searched together; bounds working memory.
COLUMNS_PER_BATCH = 512


def _clock(value, name: str) -> int:
    """'07:30', '7:30:00', datetime.time or minutes after midnight -> seconds."""
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(round(float(value) * 60))
    if isinstance(value, str):
        parts = value.strip().split(":")
        try:
            nums = [int(p) for p in parts]
        except ValueError:
            nums = []
        if 2 <= len(nums) <= 3:
            return nums[0] * 3600 + nums[1] * 60 + (nums[2] if len(nums) == 3 else 0)
    raise ParameterError(f"{name}={value!r} is not a time of day; give it as '07:00' "
                         "(hours may pass 24) or as minutes after midnight.")


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ParameterError(f"date={value!r} is not a date; give it as '2021-09-14'.")


class TransitNetwork:
    """Public transport travel times (minutes) from GTFS timetables for one date and window.

    Build it with :meth:`from_gtfs`. It has the interface of a street
    network in minutes (``crs``, ``unit``, :meth:`cost_matrix`,
    :meth:`nearest`), so ``coverage(..., network=transit)`` and
    ``fca(..., network=transit)`` work with it.

    Attributes
    ----------
    crs : pyproj.CRS
        Metric CRS of the stops and of the points it accepts.
    unit : str
        Always ``"min"``.
    date : datetime.date
    start, end : int
        The departure window in seconds after midnight (end excluded).
    step : float
        Minutes between departures.
    percentile : float
        Percentile of the travel times over the window (50 = median).
    stops : geopandas.GeoDataFrame
        The stops served on the date (``stop_id``, ``stop_name``).
    n_trips : int
        Trips of the date used (within the window and the horizon).

    Examples
    --------
    A feed with one bus, written to a folder:

    >>> import tempfile, pathlib
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> feed = pathlib.Path(tempfile.mkdtemp())
    >>> files = {
    ...     "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\\n"
    ...                  "A,Dorf,52.50,13.40\\nB,Stadt,52.50,13.50\\n",
    ...     "trips.txt": "route_id,service_id,trip_id\\nr,wk,t1\\n",
    ...     "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\\n"
    ...                       "t1,07:10:00,07:10:00,A,1\\nt1,07:25:00,07:25:00,B,2\\n",
    ...     "calendar_dates.txt": "service_id,date,exception_type\\nwk,20210914,1\\n",
    ... }
    >>> for name, text in files.items():
    ...     _ = (feed / name).write_text(text)
    >>> net = TransitNetwork.from_gtfs(feed, date="2021-09-14", start="07:00",
    ...                                end="07:10", crs=25833)
    >>> pts = net.stops.set_index("stop_name")[["geometry"]]
    >>> net.cost_matrix(pts, pts, max_cost=60).to_frame()
      origin destination  cost
    0   Dorf        Dorf   0.0
    1   Dorf       Stadt  20.5
    2  Stadt       Stadt   0.0

    Leaving at 7:00 ... 7:09, the bus at 7:10 arrives at 7:25: 25 ... 16
    minutes, median 20.5. Back from Stadt there is no bus: unreachable.
    """

    unit = "min"

    def __init__(self, timetable, crs, *, date, start, end, step, percentile, walking,
                 max_walk_m, max_transfer_m, max_rounds, horizon, min_transfer=0.0,
                 engine="auto"):
        self.crs = crs
        self.min_transfer = min_transfer
        self.engine = engine
        self._flat = None
        self.date, self.start, self.end = date, start, end
        self.step, self.percentile = step, percentile
        self.max_walk_m, self.max_transfer_m = max_walk_m, max_transfer_m
        self.max_rounds, self.horizon = max_rounds, horizon
        self._walking = walking
        self._tt = timetable
        to_crs = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        x, y = to_crs.transform(timetable.lon, timetable.lat)
        self._xy = np.column_stack([x, y])
        self.n_trips = timetable.n_trips
        self._patterns, self._through = _raptor.build_patterns(timetable)
        r, c, s = walking.pairs(self._xy, self._xy, max_transfer_m)
        keep = r != c
        self._transfers = _raptor.Transfers(r[keep], c[keep], s[keep].astype(np.float32))

    # ------------------------------------------------------------------ building
    @classmethod
    def from_gtfs(cls, feeds, *, date, start, end, crs, streets=None, step: float = 1,
                  percentile: float = 50, walk_speed_kmh: float = 4.5,
                  max_walk_m: float = 800, max_transfer_m: float = 400,
                  detour: float = 1.3, max_rounds: int = 6,
                  horizon: float = 120, min_transfer: float = 0,
                  engine: str = "auto") -> TransitNetwork:
        """Read GTFS feeds for one date and departure window.

        Parameters
        ----------
        feeds : path or list of paths
            GTFS feeds, each a zip file or a folder; several are used
            together (their ids are kept apart).
        date : str or datetime.date
            Service date, e.g. ``"2021-09-14"``. Trips run by ``calendar.txt``
            (weekday and date range) and ``calendar_dates.txt`` (1 adds, 2
            removes); night trips of the previous day (times past 24:00)
            count too.
        start, end : str, datetime.time or minutes
            Departure window, e.g. ``"07:00"``, ``"09:00"`` (end excluded).
        crs : str, int or pyproj.CRS
            Metric CRS of the analysis (EPSG:25833 for Berlin).
        streets : StreetNetwork, optional
            Walk along these streets instead of ``detour`` x straight line.
        step : float, default 1
            Minutes between departures in the window.
        percentile : float, default 50
            Travel time reported per pair over the window (50 = median).
        walk_speed_kmh : float, default 4.5
        max_walk_m : float, default 800
            Longest walk to the first and from the last stop, and walking all
            the way (walked metres, detour included).
        max_transfer_m : float, default 400
            Longest walk between two stops at a transfer.
        detour : float, default 1.3
            Walked metres per straight-line metre (without ``streets``).
        max_rounds : int, default 6
            Most vehicles in one journey (5 transfers).
        horizon : float, default 120
            Longest journey searched, in minutes (also the cut-off of
            :meth:`nearest` without ``max_cost``).
        min_transfer : float, default 0
            Minutes added to every change of vehicle (2 is usual in journey
            planners), also when boarding at the stop one arrived at.
        engine : {"auto", "numpy", "numba"}, default "auto"
            The router: ``"numba"``, the compiled range-RAPTOR of
            ``quartier[fast]`` (its first run compiles it, about 30 s, then it
            is cached on disk); ``"numpy"``, the vectorised numpy version
            (about 10 ms per origin and departure); ``"auto"``, numba for
            queries of 2,000 origins x departures or more when it is
            installed. Same travel times either way. Without numba, or when it
            cannot compile, one warning and the numpy version.

        Returns
        -------
        TransitNetwork

        Raises
        ------
        MissingFileError
            A feed or one of its required files is missing.
        CRSError
            ``crs`` is not metric, or ``streets`` is in another CRS.
        DataError
            No trip runs on the date in the window (a wrong date, most likely).
        ValueError
            A bad date, time or number.

        Examples
        --------
        See :class:`TransitNetwork`.
        """
        crs = require_metric(as_crs(crs), what="the transit network")
        day = _date(date)
        t0, t1 = _clock(start, "start"), _clock(end, "end")
        if t1 <= t0:
            raise ParameterError(f"end={end!r} must be after start={start!r}.")
        step = positive_number(step, "step", unit="minutes")
        pct = float(percentile)
        if not 0 <= pct <= 100:
            raise ParameterError(f"percentile={percentile!r} must be between 0 and 100.")
        speed = positive_number(walk_speed_kmh, "walk_speed_kmh") / 3.6
        detour = float(detour)
        if not (np.isfinite(detour) and 1 <= detour <= 5):
            raise ParameterError(f"detour={detour!r} must be between 1 and 5 (1.3 is usual).")
        max_walk_m = positive_number(max_walk_m, "max_walk_m", unit="metres")
        max_transfer_m = positive_number(max_transfer_m, "max_transfer_m", unit="metres")
        horizon = positive_number(horizon, "horizon", unit="minutes")
        min_transfer = float(min_transfer)
        if not (np.isfinite(min_transfer) and 0 <= min_transfer <= 60):
            raise ParameterError(f"min_transfer={min_transfer!r} must be between 0 and 60 "
                                 "minutes (2 is usual).")
        engine = _engine.check_engine(engine)
        if not isinstance(max_rounds, int) or isinstance(max_rounds, bool) or max_rounds < 1:
            raise ParameterTypeError(f"max_rounds={max_rounds!r} must be a whole number >= 1.")
        if streets is not None and as_crs(streets.crs) != crs:
            raise CRSError("streets= is in another CRS than crs=; project one of them.")
        feeds = [feeds] if isinstance(feeds, (str, Path)) else list(feeds)
        tt = read_feeds(feeds, day, earliest=t0, latest=t1 + int(horizon * 60))
        if tt.n_trips == 0:
            raise DataError(
                f"no trip of the GTFS feed(s) {[str(f) for f in feeds]} runs on {day.isoformat()} "
                f"between {start} and the end of the window plus the horizon; check date= "
                "against calendar.txt / calendar_dates.txt of the feed.")
        return cls(tt, crs, date=day, start=t0, end=t1, step=step, percentile=pct,
                   walking=Walking(speed, detour, streets, crs), max_walk_m=max_walk_m,
                   max_transfer_m=max_transfer_m, max_rounds=max_rounds, horizon=horizon,
                   min_transfer=min_transfer, engine=engine)

    # ------------------------------------------------------------------ views
    @property
    def stops(self) -> gpd.GeoDataFrame:
        """The stops served on the date, in the network's CRS."""
        return gpd.GeoDataFrame(
            {"stop_id": self._tt.stop_ids, "stop_name": self._tt.stop_names},
            geometry=gpd.points_from_xy(self._xy[:, 0], self._xy[:, 1]), crs=self.crs)

    @property
    def departures(self) -> np.ndarray:
        """Departure times of the window, seconds after midnight."""
        return np.arange(self.start, self.end, self.step * 60.0)

    def mode_label(self, lang: str | None = None) -> str:
        """How travel times are measured, for labels, legends and tables.

        Parameters
        ----------
        lang : {"de", "en"}, optional
            Default: the language in force (:func:`quartier.set_language`).

        Returns
        -------
        str
            E.g. ``"ÖPNV, Dienstag 7:00–9:00 Uhr, Median"``.

        Examples
        --------
        >>> import datetime as dt
        >>> net = TransitNetwork.__new__(TransitNetwork)
        >>> net.date, net.start, net.end, net.percentile = dt.date(2021, 9, 14), 25200, 32400, 50
        >>> net.mode_label("de")
        'ÖPNV, Dienstag 7:00–9:00 Uhr, Median'
        >>> net.mode_label("en")
        'public transport, Tuesday 7:00–9:00, median'
        >>> net.percentile = 0  # the fastest departure of the window
        >>> net.mode_label("de")
        'ÖPNV, Dienstag 7:00–9:00 Uhr, schnellste Abfahrt'
        """
        lang = resolve_language(lang)
        days = {"de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag",
                       "Sonntag"],
                "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                       "Sunday"]}[lang]
        hm = [f"{int(t // 3600)}:{int(t % 3600 // 60):02d}" for t in (self.start, self.end)]
        pct = float(self.percentile)
        if pct == 50:
            stat = "Median" if lang == "de" else "median"
        elif pct == 0:
            stat = "schnellste Abfahrt" if lang == "de" else "fastest departure"
        elif pct == 100:
            stat = "langsamste Abfahrt" if lang == "de" else "slowest departure"
        else:
            number = f"{pct:g}".replace(".", ",") if lang == "de" else f"{pct:g}"
            stat = f"{number}. Perzentil" if lang == "de" else f"{number}th percentile"
        day = days[self.date.weekday()]
        if lang == "de":
            return f"ÖPNV, {day} {hm[0]}–{hm[1]} Uhr, {stat}"
        return f"public transport, {day} {hm[0]}–{hm[1]}, {stat}"

    def __repr__(self) -> str:
        hm = [f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}" for t in (self.start, self.end)]
        return (f"TransitNetwork({self.date.isoformat()} {hm[0]}-{hm[1]} every {self.step:g} min, "
                f"p{self.percentile:g}; {len(self._xy):,} stops, {self.n_trips:,} trips)")

    # ------------------------------------------------------------------ queries
    def _check(self, gdf, what):
        if gdf.crs is None or as_crs(gdf.crs) != self.crs:
            raise CRSError(f"the {what} are in CRS {gdf.crs}, the transit network in "
                           f"{self.crs.to_string()}; project them with .to_crs().")
        return point_coordinates(gdf, what=what)

    def cost_matrix(self, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, *,
                    max_cost: float | None = None) -> CostMatrix:
        """Travel times (minutes) by public transport and walking within ``max_cost``.

        Parameters
        ----------
        origins, destinations : geopandas.GeoDataFrame
            Points (polygons count at a point inside) in the network's CRS.
        max_cost : float, optional
            Cut-off in minutes; at most the network's ``horizon`` (the default).

        Returns
        -------
        quartier.access.costs.CostMatrix
            Reachable pairs only (``unit="min"``): the percentile of the
            travel times over the departure window, where it is finite and
            within ``max_cost``. Unreachable pairs are absent, never zero.

        Raises
        ------
        CRSError
            Points in another CRS than the network.
        ValueError
            ``max_cost`` of 0 or below, or beyond the horizon.

        Examples
        --------
        See :class:`TransitNetwork`.
        """
        limit = self.horizon if max_cost is None else positive_number(max_cost, "max_cost")
        if limit > self.horizon:
            raise ParameterError(
                f"max_cost={max_cost:g} minutes is beyond the network's horizon of "
                f"{self.horizon:g} minutes; build it with from_gtfs(..., horizon={max_cost:g}).")
        a = self._check(origins, "origins")
        b = self._check(destinations, "destinations")
        rows, cols, cost = self._solve(a, b, limit * 60.0)
        return CostMatrix(origins.index, destinations.index, rows, cols, cost / 60.0,
                          float(limit), "min")

    def _solve(self, a: np.ndarray, b: np.ndarray, limit_s: float):
        """Pairs within ``limit_s`` (seconds): the search always goes to the horizon, so a
        smaller cut-off gives the same times, only fewer pairs."""
        reach_s = self.horizon * 60.0
        walk = self._walking
        deps = self.departures
        access = walk.pairs(a, self._xy, self.max_walk_m)
        egress = walk.pairs(b, self._xy, self.max_walk_m)
        direct = walk.pairs(a, b, self.max_walk_m)
        engine = _engine.engine_for(self.engine, len(a) * len(deps))
        kernel = _engine.numba_kernel() if engine == "numba" else None
        if kernel is not None:
            if self._flat is None:
                self._flat = _engine.flatten(self._patterns, self._transfers, len(self._xy))
            cubes = _engine.numba_cubes(
                kernel, self._flat, len(self._xy), len(a), len(b), deps, reach_s,
                self.max_rounds, self.min_transfer * 60.0, access, egress, direct)
        else:
            cubes = self._numpy_cubes(a, b, reach_s, access, egress, direct)
        out_r, out_c, out_v = [], [], []
        for lo, _, cube in cubes:  # (origins, destinations, departures) seconds
            some = np.isfinite(cube).any(axis=2)
            o_idx, d_idx = np.nonzero(some)
            rows = cube[some]
            q = np.percentile(np.where(np.isfinite(rows), rows, 1e12), self.percentile, axis=1)
            ok = q <= limit_s
            out_r.append(o_idx[ok] + lo)
            out_c.append(d_idx[ok])
            out_v.append(q[ok])
        if not out_r:
            e = np.zeros(0, np.int64)
            return e, e, np.zeros(0)
        return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_v)

    def _numpy_cubes(self, a, b, limit_s, access, egress, direct):
        """Travel times (seconds) of the numpy RAPTOR, a batch of origins at a time."""
        deps = self.departures
        nd = len(deps)
        acc_o, acc_s, acc_t = access
        egr_d, egr_s, egr_t = egress
        dir_o, dir_d, dir_t = direct
        per = max(1, COLUMNS_PER_BATCH // nd)
        n_stops = len(self._xy)
        for lo in range(0, len(a), per):
            hi = min(len(a), lo + per)
            nb = hi - lo
            ncol = nb * nd
            travel = np.full((len(b), ncol), np.inf)
            sel = (acc_o >= lo) & (acc_o < hi)
            if sel.any() and self._patterns is not None:
                tau = np.full((n_stops, ncol), np.inf, dtype=np.float32)
                li = acc_o[sel] - lo
                r = np.repeat(acc_s[sel], nd)
                c = (li[:, None] * nd + np.arange(nd)[None, :]).ravel()
                v = (acc_t[sel][:, None] + deps[None, :]).ravel()
                np.minimum.at(tau, (r, c), v)
                t_dep = np.tile(deps, nb)
                tau = _raptor.raptor(self._patterns, self._through, self._transfers, tau,
                                     horizon=t_dep + limit_s, max_rounds=self.max_rounds,
                                     min_transfer=self.min_transfer * 60.0)
                arrival = min_plus(tau, egr_s, egr_d, egr_t, len(b))
                travel = arrival.astype(float) - t_dep[None, :]
            sel = (dir_o >= lo) & (dir_o < hi)
            if sel.any():
                d, li = dir_d[sel], dir_o[sel] - lo
                cols = (li[:, None] * nd + np.arange(nd)[None, :]).ravel()
                rows = np.repeat(d, nd)
                np.minimum.at(travel, (rows, cols), np.repeat(dir_t[sel], nd))
            travel[travel > limit_s] = np.inf  # beyond the horizon: unreachable
            yield lo, hi, travel.reshape(len(b), nb, nd).transpose(1, 0, 2)

    def nearest(self, origins: gpd.GeoDataFrame, destinations: gpd.GeoDataFrame, *,
                max_cost: float | None = None) -> pd.DataFrame:
        """The destination reached fastest from every origin, and the time (minutes).

        Parameters
        ----------
        origins, destinations : geopandas.GeoDataFrame
            Points in the network's CRS.
        max_cost : float, optional
            Search no further (minutes; default the network's ``horizon``).

        Returns
        -------
        pandas.DataFrame
            Indexed like ``origins``: ``nearest`` (label or None), ``cost``
            (NaN when unreachable) and ``reason`` (None where reached).

        Examples
        --------
        See :class:`TransitNetwork`.
        """
        cm = self.cost_matrix(origins, destinations, max_cost=max_cost)
        out = cm.nearest()
        reason = np.where(out["cost"].isna(),
                          f"no destination within {cm.max_cost:g} min by public transport",
                          None)
        out["reason"] = pd.Series(reason, index=origins.index, dtype=object)
        return out
