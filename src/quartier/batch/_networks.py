"""Networks of a run (``[networks.<name>]``): built once, named in every label.

A service names its network with ``network = "<name>"``; its ``max_cost`` is then in the
network's unit (minutes by car and public transport). Without one, reach is the straight
line in metres, as before.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import warnings

from quartier.errors import DataError, QuartierError, QuartierWarning
from quartier.output.formatting import format_number

#: How reach is measured, per language and street profile.
_WORD = {
    "de": {None: "Luftlinie", "walk": "Fußweg", "senior": "Fußweg (Senioren)",
           "wheelchair": "Rollstuhlweg", "bike": "Radweg", "car": "Autofahrt"},
    "en": {None: "straight line", "walk": "walking", "senior": "walking (older people)",
           "wheelchair": "wheelchair", "bike": "cycling", "car": "by car"},
}
#: The column header of the reach label.
REACH_HEADER = {"de": "Erreichbarkeit", "en": "reach"}


def build_networks(cfg, crs) -> dict:
    """Every ``[networks.<name>]`` of the configuration, built once in ``crs`` (the
    districts' CRS; streets first, so that a transit network can walk along them)."""
    from quartier.access.network.streets import StreetNetwork
    from quartier.access.transit.network import TransitNetwork

    built: dict = {}
    for name, spec in cfg.networks.items():
        if spec["kind"] == "streets":
            with _named(cfg, name, None):
                built[name] = StreetNetwork.from_osm(spec["path"], profile=spec["profile"],
                                                     crs=crs, unit=spec["unit"])
    for name, spec in cfg.networks.items():
        if spec["kind"] == "transit":
            options = {k: spec[k] for k in ("step", "percentile", "horizon") if k in spec}
            # no trip on the date is the usual failure: point at the date line
            with _named(cfg, name, "date"):
                built[name] = TransitNetwork.from_gtfs(
                    spec["gtfs"], date=spec["date"], start=spec["start"], end=spec["end"],
                    crs=spec.get("crs") or crs,
                    streets=built[spec["streets"]] if spec.get("streets") else None, **options)
    return built


@contextlib.contextmanager
def _named(cfg, name: str, key: str | None):
    """Bad input found while building network ``name`` (a feed without trips on the date, a
    broken file) as a ConfigError naming the configuration file and the section's line."""
    try:
        yield
    except QuartierError as exc:
        from quartier.batch.config import _Locator

        locate = _Locator(cfg.path.read_text(encoding="utf-8"), cfg.path.name)
        hint = (" Choose a date the feed runs (its calendar.txt / calendar_dates.txt)"
                if isinstance(exc, DataError) and key == "date" else "")
        raise locate.error(f"networks.{name}", None,
                           key if isinstance(exc, DataError) else None,
                           f"[networks.{name}]: {str(exc).rstrip('.')}.{hint}") from exc


def reach_label(network, max_cost: float, lang: str) -> str:
    """'Luftlinie 500 m', 'Autofahrt 15 min', 'ÖPNV, Dienstag 7:00–9:00 Uhr, Median, 30 min'.

    Examples
    --------
    >>> reach_label(None, 500, "de")
    'Luftlinie 500 m'
    >>> reach_label(None, 1500, "en")
    'straight line 1,500 m'
    """
    amount = format_number(max_cost, decimals=0 if float(max_cost).is_integer() else 1,
                           lang=lang)
    if network is None:
        return f"{_WORD[lang][None]} {amount} m"
    unit = network.unit
    if hasattr(network, "mode_label"):  # public transport: mode, day, window, statistic
        return f"{network.mode_label(lang)}, {amount} {unit}"
    profile = network.profile.name
    return f"{_WORD[lang].get(profile, _WORD[lang]['walk'])} {amount} {unit}"


_KINDS = {
    "streets": {"kind": True, "path": True, "profile": False, "unit": False},
    "transit": {"kind": True, "gtfs": True, "date": True, "start": True, "end": True,
                "percentile": False, "step": False, "horizon": False, "crs": False,
                "streets": False},
}
_PROFILES = ("walk", "senior", "wheelchair", "bike", "car")
#: Longest sensible reach in minutes on a street network (more looks like metres).
_MAX_MINUTES = 180
#: Shortest sensible reach in metres (less looks like minutes): warned about.
_FEW_METRES = 60


def check_networks(networks, base, locate, did_you_mean) -> dict:
    """``[networks.<name>]``: kind, keys, files, profile and unit; transit ``streets`` names
    a streets network. Returns the sections with absolute paths and defaults."""
    if not isinstance(networks, dict):
        raise locate.error("networks", None, None,
                           'write a section per network, e.g. [networks.auto] with kind = '
                           '"streets"')
    out = {}
    for name, spec in networks.items():
        section = f"networks.{name}"
        if not isinstance(spec, dict):
            raise locate.error(section, None, None, f"[{section}] must be a section")
        kind = spec.get("kind")
        if kind not in _KINDS:
            raise locate.error(section, None, "kind" if "kind" in spec else None,
                               f'[{section}] needs kind = "streets" (an OpenStreetMap file) or '
                               f'kind = "transit" (GTFS feeds), not {kind!r}')
        keys = _KINDS[kind]
        for key in spec:
            if key not in keys:
                raise locate.error(section, None, key, f"unknown key '{key}' in [{section}] "
                                   f"(kind = \"{kind}\")" + did_you_mean(key, list(keys)))
        for key, required in keys.items():
            if required and key not in spec:
                raise locate.error(section, None, None,
                                   f"[{section}] (kind = \"{kind}\") needs the key '{key}'")
        checked = dict(spec)
        for key in ("path", "gtfs"):
            if key in spec:
                values = spec[key] if isinstance(spec[key], list) else [spec[key]]
                if not values or not all(isinstance(v, str) for v in values):
                    raise locate.error(section, None, key,
                                       f"'{key}' must be a path or a list of paths")
                paths = []
                for value in values:
                    resolved = (base / value).resolve()
                    if not resolved.exists():
                        raise locate.error(section, None, key,
                                           f"file '{value}' does not exist (looked for "
                                           f"'{resolved}'). Paths are relative to the "
                                           "configuration file")
                    paths.append(resolved)
                checked[key] = paths if isinstance(spec[key], list) else paths[0]
        if kind == "streets":
            profile = spec.get("profile", "walk")
            if profile not in _PROFILES:
                raise locate.error(section, None, "profile",
                                   f"unknown profile {profile!r}; use one of "
                                   + ", ".join(_PROFILES) + did_you_mean(str(profile),
                                                                         list(_PROFILES)))
            unit = spec.get("unit", "min" if profile == "car" else "m")
            if unit not in ("m", "min"):
                raise locate.error(section, None, "unit",
                                   f'unit must be "m" (metres) or "min" (minutes), not {unit!r}')
            checked.update(profile=profile, unit=unit)
        else:
            checked["date"] = _service_date(spec["date"], section, locate)
            clock = {key: _clock_text(spec[key], key, section, locate) for key in ("start", "end")}
            if clock["end"][0] <= clock["start"][0]:
                raise locate.error(section, None, "end",
                                   f"[{section}] end = {spec['end']!r} must be after start = "
                                   f"{spec['start']!r} (the departure window, e.g. start = "
                                   '"07:00", end = "09:00")')
            checked.update(start=clock["start"][1], end=clock["end"][1])
            for key in ("percentile", "step", "horizon"):
                if key in spec and (isinstance(spec[key], bool)
                                    or not isinstance(spec[key], int | float)
                                    or spec[key] <= 0
                                    or (key == "percentile" and spec[key] > 100)):
                    raise locate.error(section, None, key,
                                       f"'{key}' must be a positive number"
                                       + (" up to 100" if key == "percentile" else ""))
            checked.setdefault("horizon", 120)
        out[name] = checked
    for name, spec in out.items():
        other = spec.get("streets")
        if other is None:
            continue
        if not isinstance(other, str) or out.get(other, {}).get("kind") != "streets":
            raise locate.error(f"networks.{name}", None, "streets",
                               f"streets = {other!r} must name a kind = \"streets\" network of "
                               "this file" + did_you_mean(str(other), [n for n, s in out.items()
                                                                       if s["kind"] == "streets"]))
    return out


def _service_date(value, section, locate) -> str:
    """``date``: "2021-09-14" (or a TOML date) -> the ISO text; anything else names the fix."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise locate.error(section, None, "date",
                       f"[{section}] date = {value!r} is not a date as year-month-day; write "
                       "it as "
                       'date = "2021-09-14" (a day the GTFS feed runs)')


def _clock_text(value, key, section, locate) -> tuple[int, str]:
    """``start``/``end``: "07:00" or "7:00:00" (hours may pass 24) -> (seconds, text)."""
    if isinstance(value, dt.time):
        value = value.strftime("%H:%M:%S")
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*", value)
        if match and int(match.group(2)) < 60 and int(match.group(3) or 0) < 60:
            h, m, sec = (int(g or 0) for g in match.groups())
            return h * 3600 + m * 60 + sec, value.strip()
    raise locate.error(section, None, key,
                       f"[{section}] {key} = {value!r} is not a time of day; write it as "
                       f"{key} = "
                       + ('"07:00"' if key == "start" else '"09:00"') + " (hours:minutes)")


def check_service_network(service, index, networks, locate, did_you_mean, *,
                          areas: bool = False) -> None:
    """A service's ``network`` must be defined; ``max_cost`` must fit its unit. ``areas``: the
    file has an ``[areas]`` section, whose area-by-area computation is in a straight line."""
    name = service.get("network")
    cost = service["max_cost"]
    if name is not None and areas:
        raise locate.error("services", index, "network",
                           f"network = '{name}' cannot be combined with [areas] yet: the areas "
                           "are computed in a straight line (their halo is max_cost metres); "
                           "remove the [areas] section to compute along the network, or remove "
                           "network = to compute in a straight line")
    metres = name is None or networks.get(name, {}).get("unit") == "m"
    if metres and 0 < cost < _FEW_METRES:
        line = locate.line_of("services", index, "max_cost")
        warnings.warn(f"{locate.name}, line {line}: max_cost = {cost:g} is {cost:g} metres "
                      f"({'in a straight line' if name is None else f'along network {name!r}'}"
                      "); minutes? Name a network in minutes, e.g. network = \"auto\" with "
                      "[networks.auto] profile = \"car\"", QuartierWarning, stacklevel=4)
    if name is None:
        return
    if name not in networks:
        known = ", ".join(f"'{n}'" for n in networks) or "none"
        raise locate.error("services", index, "network",
                           f"network '{name}' is not defined (networks: {known}); add a "
                           f"[networks.{name}] section" + did_you_mean(name, list(networks)))
    spec = networks[name]
    if spec["kind"] == "transit" and cost > spec["horizon"]:
        raise locate.error("services", index, "max_cost",
                           f"max_cost = {cost:g} is beyond the horizon of network '{name}' "
                           f"({spec['horizon']:g} minutes, the longest journey searched); "
                           "max_cost is in minutes with a public transport network, e.g. 30, "
                           "or raise horizon in its section")
    if spec["kind"] == "streets" and spec["unit"] == "min" and cost > _MAX_MINUTES:
        raise locate.error("services", index, "max_cost",
                           f"max_cost = {cost:g} with network '{name}' means {cost:g} minutes "
                           f"(its unit is \"min\"), more than {_MAX_MINUTES} minutes; metres? "
                           "Give minutes, e.g. max_cost = 15, or unit = \"m\" in the network")
