"""The figures of one service in a development-plan statement (see statement.py)."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier.access.catchments import isochrones
from quartier.access.costs import cost_matrix, nearest
from quartier.errors import ColumnError
from quartier.planning._allocation import ALLOCATIONS, allocate, group_demand, weights

#: How reach is measured, per language: straight line or along the streets, by profile.
_MODE = {
    "de": {None: "Luftlinie", "walk": "Fußweg", "senior": "Fußweg", "wheelchair": "Rollstuhlweg",
           "bike": "Radweg", "car": "Autofahrt"},
    "en": {None: "straight line", "walk": "walking", "senior": "walking",
           "wheelchair": "wheelchair", "bike": "cycling", "car": "driving"},
}


def measure(network, lang: str = "de") -> str:
    """'Luftlinie', or 'Fußweg (Profil zu Fuß (4,5 km/h))': how reach is measured."""
    if network is None:
        return _MODE[lang][None]
    if hasattr(network, "mode_label"):  # public transport: mode, day, window, statistic
        return network.mode_label(lang)
    profile = network.profile
    word = _MODE[lang].get(profile.name, _MODE[lang]["walk"])
    if lang == "de":
        return f"{word} (Profil: {profile.label})"
    if profile.driving:
        return f"{word} (profile '{profile.name}', speeds by road class and limit)"
    return f"{word} (profile '{profile.name}', {profile.speed_kmh:g} km/h)"


def unit_of(network) -> str:
    return "m" if network is None else network.unit


def _metres(cost: float, network) -> float:
    """A straight-line bound in metres for a cost in the network's unit."""
    if network is None or network.unit == "m":
        return float(cost)
    return float(cost) * network.profile.metres_per_minute


def facility_labels(service) -> pd.Series:
    fac = service.facilities
    column = service.name_column or ("name" if "name" in fac.columns else None)
    if column is None:
        return pd.Series([str(i) for i in fac.index], index=fac.index)
    if column not in fac.columns:
        raise ColumnError(
            f"the facilities of '{service.name}' have no column '{column}' (name_column). "
            f"Columns are: {list(fac.columns)}."
        )
    return fac[column].astype(str)


def _quiet(fn, *args, **kwargs):
    """Points far from the streets are left out by the network with a warning: those are
    the candidates at the edge of the network, expected here."""
    from quartier.errors import QuartierWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        return fn(*args, **kwargs)


def assess(service, point, population, new, network, allocation, radii):
    """Figures of one service: (row, facilities, sensitivity rows, reach polygon)."""
    fac = service.facilities
    labels = facility_labels(service)
    reach_max = max([float(service.max_cost), *radii])
    bound = _metres(reach_max, network)
    # only facilities that can matter: a person within reach of a facility within reach of
    # the site lies within 2 x reach of the site, and their facilities within 3 x reach
    near = cost_matrix(point, fac, max_cost=3 * bound)
    cand = fac.iloc[np.sort(near.cols)]
    cand_labels = labels.iloc[np.sort(near.cols)]
    if service.capacity is not None:
        places = cand[service.capacity].to_numpy(dtype=float)
        share_places = places
    else:
        places = np.full(len(cand), np.nan)
        share_places = np.ones(len(cand))  # no places known: shared equally
    site = np.full(len(cand), np.nan)
    if len(cand):
        cm = _quiet(cost_matrix, point, cand, max_cost=reach_max, network=network)
        site[cm.cols] = cm.cost
    if population is not None:
        pcm = cost_matrix(point, population, max_cost=2 * bound)
        pop = population.iloc[np.sort(pcm.cols)]
        demand = pop[list(service.target_group)].to_numpy(dtype=float).sum(axis=1)
        pairs = (_quiet(cost_matrix, pop, cand, max_cost=reach_max, network=network)
                 if len(cand) and len(pop) else None)
        site_pop = _quiet(cost_matrix, point, pop, max_cost=reach_max, network=network) \
            if len(pop) else None
    norm = service.norm_per_1000

    def figures(r, how):
        in_reach = site <= r
        out = {"facilities_in_reach": int(in_reach.sum()),
               "places": float(places[in_reach].sum()) if service.capacity else np.nan}
        per_before = np.full(len(cand), np.nan)
        per_after = np.full(len(cand), np.nan)
        if population is None:
            out.update(target_group_near_site=np.nan, target_group_today=np.nan)
            return out, per_before, per_after
        near_site = 0.0 if site_pop is None else float(
            demand[site_pop.cols[site_pop.cost <= r]].sum())
        out["target_group_near_site"] = near_site
        if pairs is None or not in_reach.any():
            out["target_group_today"] = 0.0
            return out, per_before, per_after
        keep = pairs.cost <= r
        rows, cols = pairs.rows[keep], pairs.cols[keep]
        out["target_group_today"] = group_demand(demand, rows, cols, share_places, in_reach, how)
        per = (allocate(demand, rows, cols, share_places, how))
        idx = np.flatnonzero(in_reach)
        w = weights(np.zeros(idx.size, np.int64), idx, share_places, 1, how)
        per_before[idx] = per[idx]
        per_after[idx] = per[idx] + new * w
        return out, per_before, per_after

    main, before, after = figures(float(service.max_cost), allocation)
    row = _row(service, new, main, norm, network)
    row["allocation"] = allocation
    if not main["facilities_in_reach"]:
        row.update(_nearest(service, point, fac, labels, network, cand, site))
    else:
        row.update(nearest_facility=None, nearest_cost=np.nan, nearest_measure=None)
    facilities = cand.copy()
    facilities["service"] = service.name
    facilities["label"] = cand_labels.to_numpy()
    facilities["places"] = places
    facilities["cost"] = site
    facilities["in_reach"] = site <= float(service.max_cost)
    facilities["allocated_before"] = before
    facilities["allocated_after"] = after
    ratio = (norm or np.nan) / 1000 / np.where(places > 0, places, np.nan)
    facilities["load_before"] = before * ratio
    facilities["load_after"] = after * ratio
    sensitivity = []
    for r in radii:
        for how in ALLOCATIONS:
            fig, _, _ = figures(float(r), how)
            s = _row(service, new, fig, norm, network)
            sensitivity.append({"service": service.name, "max_cost": float(r),
                                "allocation": how, **{k: s.get(k, np.nan) for k in (
                                    "facilities_in_reach", "places", "target_group_today",
                                    "load_before", "load_after", "verdict")}})
    reach = isochrones(point, network=network, max_cost=float(service.max_cost))
    return row, facilities, sensitivity, reach.geometry.iloc[0]


def _nearest(service, point, fac, labels, network, cand, site):
    """The nearest facility when none is in reach: along the streets among the candidates,
    else (none reachable, or straight line) the nearest by straight line over all."""
    if network is not None and np.isfinite(site).any():
        j = int(np.nanargmin(site))
        return {"nearest_facility": cand_labels_at(labels, cand, j),
                "nearest_cost": float(site[j]), "nearest_measure": "network"}
    if network is not None and len(cand):
        found = _quiet(nearest, point, cand, network=network)
        if found["nearest"].iloc[0] is not None and np.isfinite(found["cost"].iloc[0]):
            return {"nearest_facility": str(labels.loc[found["nearest"].iloc[0]]),
                    "nearest_cost": float(found["cost"].iloc[0]), "nearest_measure": "network"}
    if len(fac) == 0:
        return {"nearest_facility": None, "nearest_cost": np.nan, "nearest_measure": None}
    found = nearest(point, fac)
    return {"nearest_facility": str(labels.loc[found["nearest"].iloc[0]]),
            "nearest_cost": float(found["cost"].iloc[0]),
            "nearest_measure": "straight" if network is not None else None}


def cand_labels_at(labels, cand, j):
    return str(labels.loc[cand.index[j]])


def _row(service, new, fig, norm, network):
    """The table row: own demand and need, the area's demand, loads before and after."""
    row = {
        "service": service.name,
        "target_group": service.target_label or " + ".join(service.target_group),
        "max_cost": float(service.max_cost),
        "unit": unit_of(network),
        "new_target_group": round(new, 1),
        "norm_per_1000": norm,
        "own_need": round(new * norm / 1000, 1) if norm is not None else np.nan,
        "target_group_near_site": fig["target_group_near_site"],
        "facilities_in_reach": fig["facilities_in_reach"],
        "places": fig["places"],
        "target_group_today": fig["target_group_today"],
    }
    if norm is None or service.capacity is None:
        row["verdict"] = "kein Richtwert"
        return row
    places, today, n_fac = fig["places"], fig["target_group_today"], fig["facilities_in_reach"]
    if n_fac == 0:  # no facility: the people around the site need places, and the newcomers
        today = fig["target_group_near_site"]
        places = 0.0
    before = today * norm / 1000 if not np.isnan(today) else np.nan
    after = (0.0 if np.isnan(today) else today) * norm / 1000 + new * norm / 1000
    row.update(
        required_places_before=round(before, 1),
        required_places_after=round(after, 1),
        existing_deficit=(max(0.0, round(before - places, 1)) if not np.isnan(before)
                          else np.nan),
        load_before=before / places if places > 0 else np.nan,
        load_after=after / places if places > 0 else np.nan,
        additional_places=max(0, math.ceil(round(after - places, 6))),
        development_share=(new * norm / 1000) / after if after > 0 else np.nan,
    )
    row["added_load"] = row["load_after"] - row["load_before"]
    if n_fac == 0:
        row["verdict"] = "keine Einrichtung erreichbar"
    elif after <= places:
        row["verdict"] = "ausreichend"
    elif not np.isnan(before) and before <= places:
        row["verdict"] = "durch das Vorhaben überlastet"
    else:
        row["verdict"] = "bereits heute überlastet"
    return row


def empty_reach(crs):
    return gpd.GeoDataFrame({"service": [], "max_cost": []}, geometry=[], crs=crs)
