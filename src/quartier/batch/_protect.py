"""One disclosure pattern per run: protect every service's people counts once, audit, refuse.

Every output of a run (summary, district layers, level layers, the city map and the maps per
level unit) shows the cells of one pattern per target group, so no two files hide different
cells of the same numbers. The pattern is made by :func:`quartier.protect_table` with the
run's hierarchy (``[districts] levels``; the city total always counts as published) and
checked by :func:`quartier.reporting.audit.audit_disclosure` before anything is written.
Figures computed from people (shares, places per 1,000, required places, deficits, gaps) are
recomputed from the published counts, so they are empty where a count is suppressed and
follow the rounding. With ``round_to`` the counts are rounded once per target group by
controlled rounding (:mod:`quartier.batch._round_run`): rows and level tables add up, and
services on the same people publish the same rounded population.

The covered and uncovered people are quartier's own figures: no statistics office publishes
their level totals, so the run may hide a level total (``totals_published=False``); the
indicator tables of the office (:mod:`quartier.batch._indicators`) keep the office's premise
that every total above the table is published.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from quartier.batch._linked import linked_failures
from quartier.batch._round_run import round_group, rounded_levels
from quartier.errors import DisclosureError, QuartierWarning, format_list
from quartier.reporting.audit import audit_disclosure
from quartier.reporting.disclosure_control import DisclosureResult, DisclosureRules
from quartier.reporting.protection import protect_table
from quartier.reporting.rounding import RoundingResult

PARTS = ["covered", "uncovered"]
TOTAL = "population"
COUNTS = [TOTAL, *PARTS]
_MAX_ROUNDS = 10


@dataclass
class Pattern:
    """The published summary rows of one service, their mask and the level totals."""

    published: pd.DataFrame
    mask: pd.DataFrame
    levels: dict[str, pd.DataFrame] = field(default_factory=dict)


def round_half_up(values: np.ndarray, base: int) -> np.ndarray:
    return np.floor(values / base + 0.5) * base


def _table(rows: pd.DataFrame, parents: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """The counts of one service indexed by district key, with the parent columns."""
    counts = rows[COUNTS].to_numpy(dtype=float, na_value=np.nan)
    # a district without any demand unit has no count: 0 people there (its share stays empty)
    counts = np.where(np.isfinite(counts), counts, 0.0)
    table = pd.DataFrame(counts, columns=COUNTS, index=pd.Index(rows["key"].astype(str),
                                                                  name="key"))
    for level in levels:
        table[level] = parents[level].to_numpy()
    return table


def protect_run(rows_by_service: dict[str, pd.DataFrame], services: list[dict],
                parents: pd.DataFrame, levels: list[str], rules: DisclosureRules | None,
                lang: str, groups: dict[str, list[str]] | None = None) -> dict[str, Pattern]:
    """The pattern of every service; raises DisclosureError when the audit fails.

    ``parents`` holds the level columns in the order of the summary rows; ``groups`` the
    population columns of each target group (groups of the same columns are the same people).
    """
    if rules is None:
        return {name: Pattern(rows.copy(), _empty_mask(rows)) for name, rows in
                rows_by_service.items()}
    groups = groups or {}

    def people(s) -> tuple:
        return tuple(sorted(groups.get(s["target_group"], [s["target_group"]])))

    by_group: dict[tuple, list[dict]] = {}
    for s in services:
        by_group.setdefault(people(s), []).append(s)
    patterns: dict[str, Pattern] = {}
    failures: list[pd.DataFrame] = []
    for members in by_group.values():
        tables = {s["name"]: _table(rows_by_service[s["name"]], parents, levels)
                  for s in members}
        try:
            results = _protect_group(tables, levels, rules)
        except _LinkedFailure as linked:
            failures.append(pd.DataFrame([{
                "service": f.service or "+".join(tables), "level": f.level, "unit": f.unit,
                "column": f.column, "value": f.value, "lower": np.nan, "upper": f.upper,
                "known_by": "", "reason": "linked services"} for f in linked.failures]))
            continue
        rounded = (round_group(tables, levels, rules.round_to) if rules.round_to
                   else dict.fromkeys(tables))
        for s in members:
            name = s["name"]
            result = results[name]
            if rules.min_count:
                audit = audit_disclosure(tables[name], result, min_count=rules.min_count,
                                         columns=PARTS, total_column=TOTAL, hierarchy=levels,
                                         totals_published=False)
                if not audit.passed:
                    failures.append(audit.cells.assign(service=name))
            patterns[name] = _publish(rows_by_service[name], s, result, levels, rounded[name])
    if rules.min_count:
        failures += _differences(by_group, patterns, rows_by_service, rules.min_count)
    if failures:
        raise refusal(pd.concat(failures, ignore_index=True), lang)
    return patterns


def _differences(by_group, patterns, rows_by_service, min_count) -> list[pd.DataFrame]:
    """Nested target groups (80+ inside 65+) publish their difference per district: exact
    subtraction of two published populations must not give a small count."""
    found = []
    for outer, outer_services in by_group.items():
        for inner, inner_services in by_group.items():
            if not (set(inner) < set(outer)):
                continue
            a, b = outer_services[0]["name"], inner_services[0]["name"]
            big = rows_by_service[a][TOTAL].to_numpy(dtype=float, na_value=np.nan)
            small = rows_by_service[b][TOTAL].to_numpy(dtype=float, na_value=np.nan)
            shown = ~patterns[a].mask[TOTAL].to_numpy() & ~patterns[b].mask[TOTAL].to_numpy()
            difference = big - small
            bad = shown & (difference > 0) & (difference < min_count)
            for i in np.flatnonzero(bad):
                found.append({"service": f"{a} - {b}", "level": "table",
                              "unit": str(rows_by_service[a]["key"].iloc[i]),
                              "column": "population", "value": difference[i],
                              "lower": difference[i], "upper": difference[i], "known_by": "",
                              "reason": "difference of nested target groups"})
    return [pd.DataFrame(found)] if found else []


def _protect_group(tables: dict[str, pd.DataFrame], levels: list[str],
                   rules: DisclosureRules) -> dict[str, DisclosureResult]:
    """Services of one target group share their population pattern (the same numbers).

    Each service is protected with the population cells hidden so far as given; their union
    becomes the next start, and a row whose population is hidden while a service publishes
    both of its parts (which add up to it) hides the smaller part too; until nothing changes.
    """
    first = next(iter(tables.values()))
    start = {name: pd.DataFrame(False, index=first.index, columns=COUNTS) for name in tables}
    totals: dict[str, dict] = {name: {} for name in tables}   # the same rule for level totals
    results = _settle(tables, levels, rules, start, totals)
    linked = len(tables) > 1 and bool(rules.min_count)
    failures = linked_failures(tables, results, levels, rules.min_count) if linked else []
    for attempt in range(_MAX_ROUNDS):
        if not failures:
            break
        # one widening per unit: the failures of one district or unit share their scopes
        units = {(f.level, f.unit): f for f in failures}
        shown = {name: ~frame.to_numpy(dtype=bool) for name, frame in start.items()}
        added = sum(_widen(tables, start, f, attempt, shown) for f in units.values())
        if attempt:     # the districts did not do: the totals above them too
            shown_totals = {name: {level: ~mask for level, mask in masks.items()}
                            for name, masks in totals.items()}
            added += sum(_widen_totals(tables, totals, f, levels, shown_totals)
                         for f in units.values())
        if not added:
            break           # nothing left to hide around any of them
        results = _settle(tables, levels, rules, start, totals)
        failures = linked_failures(tables, results, levels, rules.min_count)
    if failures:
        raise _LinkedFailure(failures)
    # level totals: the population of a unit hidden for one service is hidden for all
    for level in {k for r in results.values() for k in r.totals}:
        hidden = np.logical_or.reduce([results[n].totals[level][TOTAL].isna().to_numpy()
                                       for n in results if level in results[n].totals])
        for r in results.values():
            if level in r.totals:
                r.totals[level].loc[hidden, TOTAL] = np.nan
    return results


def _settle(tables, levels, rules, start, totals=None) -> dict[str, DisclosureResult]:
    """Protect each service from ``start`` (updated in place) until they agree.

    ``totals`` (``{service: {level: mask}}``, updated in place) does the same for the level
    totals: a unit whose population one service hides is hidden by all, and a service
    publishing both parts of a hidden population hides the smaller one, as for the rows
    (else one service's published parts give away the population another one hides, and the
    services together narrow the small counts below it)."""
    first = next(iter(tables.values()))
    totals = totals if totals is not None else {name: {} for name in tables}
    results: dict[str, DisclosureResult] = {}
    for _ in range(_MAX_ROUNDS):
        for name, table in tables.items():
            if rules.min_count:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", QuartierWarning)  # the audit says it
                    results[name] = protect_table(table, rules.min_count, columns=PARTS,
                                                  total_column=TOTAL, hierarchy=levels,
                                                  rules=False, suppressed=start[name],
                                                  totals_published=False,
                                                  suppressed_totals=totals[name] or None)
            else:
                results[name] = DisclosureResult(table, start[name].reindex(
                    columns=table.columns, fill_value=False))
        population = np.logical_or.reduce([r.suppressed[TOTAL].to_numpy(dtype=bool)
                                           for r in results.values()])
        changed = False
        for name, result in results.items():
            hidden = result.suppressed[COUNTS].to_numpy(dtype=bool) | start[name].to_numpy()
            new = pd.DataFrame(_agree(hidden, population, tables[name][COUNTS].to_numpy(
                dtype=float)), index=first.index, columns=COUNTS)
            if not new.equals(result.suppressed[COUNTS].astype(bool)):
                changed = True
            start[name] = new
        changed |= _agree_totals(tables, results, totals)
        if not changed:
            break
    else:
        warnings.warn("disclosure control: the services of one target group did not settle "
                      "on one pattern; the audit decides.", QuartierWarning, stacklevel=3)
    out = {}
    for name, r in results.items():
        level_totals = {}
        for level, frame in r.totals.items():
            frame = frame.copy()
            if level in totals[name]:
                mask = totals[name][level]
                for c in COUNTS:
                    frame.loc[mask[c].to_numpy(dtype=bool), c] = np.nan
            level_totals[level] = frame
        out[name] = DisclosureResult(r.table, r.suppressed.assign(
            **{c: start[name][c].to_numpy() for c in COUNTS}), level_totals)
    return out


def _agree(hidden: np.ndarray, population: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``hidden`` (rows x COUNTS) with the population hidden where any service hides it, and
    the smaller positive part hidden where both parts of a hidden population are shown."""
    hidden = hidden.copy()
    hidden[:, 0] |= population
    both_shown = hidden[:, 0] & ~hidden[:, 1] & ~hidden[:, 2]
    if both_shown.any():
        cov, unc = values[:, 1], values[:, 2]
        smaller = (cov > 0) & ((cov <= unc) | (unc == 0))  # never a zero
        hidden[both_shown & smaller, 1] = True
        hidden[both_shown & ~smaller, 2] = True
    return hidden


def _agree_totals(tables, results, totals) -> bool:
    """:func:`_agree` for the level totals of every service; whether a mask changed."""
    changed = False
    names = list(results)
    for level in results[names[0]].totals:
        frames = {n: results[n].totals[level] for n in names}
        index = frames[names[0]].index
        population = np.logical_or.reduce([frames[n][TOTAL].isna().to_numpy() for n in names])
        for n in names:
            table = tables[n]
            if level == "total":
                values = table[COUNTS].sum().to_numpy(dtype=float)[None, :]
            else:
                values = table.groupby(table[level].astype(str))[COUNTS].sum().reindex(
                    index.astype(str)).to_numpy(dtype=float)
            shown = frames[n][COUNTS].isna().to_numpy()
            new = _agree(shown, population, values)
            if (new != shown).any():
                changed = True
            totals[n][level] = pd.DataFrame(new, index=index, columns=COUNTS)
    return changed


def _widen(tables, start, failure, attempt: int, shown: dict | None = None) -> int:
    """Hide more published cells around a cell the services give away together: first every
    positive cell of its districts, then the smallest positive cell of each column of each
    service in ever more districts of the same unit.

    A scope that has nothing left to hide (every positive cell there is hidden already, the
    common case of a small count whose districts are all hidden) passes on to the next larger
    one at once. ``shown``: the published cells of each service at the start of the round
    (default: now), so that the failures of one round choose independently of each other and
    several in one unit pick the same cells. Returns the number of cells newly hidden."""
    added = 0
    for scope in range(min(attempt, len(failure.scopes) - 1), len(failure.scopes)):
        rows = failure.scopes[scope]
        found = False
        for name, table in tables.items():
            values = table[COUNTS].to_numpy(dtype=float)
            free = (shown[name] if shown is not None
                    else ~start[name].to_numpy(dtype=bool))
            for j in range(len(COUNTS)):
                candidates = [d for d in rows if values[d, j] > 0 and free[d, j]]
                chosen = (candidates if scope == 0
                          else sorted(candidates, key=lambda d: values[d, j])[:1])
                found = found or bool(chosen)
                for d in chosen:
                    if not start[name].iat[d, j]:
                        start[name].iat[d, j] = True
                        added += 1
        if found:
            break
    return added


def _widen_totals(tables, totals, failure, levels, shown) -> int:
    """Hide the level totals around a cell the services give away together: at every level
    from the failure's up to the Bezirk (the city stays published), the positive totals of
    its unit and, per column, the smallest published positive total of a unit beside it
    (same parent), so that neither is the parent's total less the others. Returns the
    number of totals newly hidden."""
    rows = failure.scopes[0]
    first = levels.index(failure.level) if failure.level in levels else (
        0 if failure.level == "table" else len(levels))
    added = 0
    for k in range(first, len(levels)):
        level = levels[k]
        for name, table in tables.items():
            if level not in totals[name]:
                continue
            labels = table[level].astype(str)
            unit = labels.iloc[rows[0]]
            if k + 1 < len(levels):
                parent = table[levels[k + 1]].astype(str)
                members = pd.unique(labels[parent == parent.iloc[rows[0]]])
            else:
                members = pd.unique(labels)
            sums = table.groupby(labels)[COUNTS].sum()
            mask, free = totals[name][level], shown[name][level]
            for c in COUNTS:
                chosen = [unit] if sums.loc[unit, c] > 0 and free.loc[unit, c] else []
                beside = [u for u in members if u != unit and sums.loc[u, c] > 0
                          and free.loc[u, c]]
                if beside:
                    chosen.append(min(beside, key=lambda u: sums.loc[u, c]))
                for u in chosen:
                    if not mask.loc[u, c]:
                        mask.loc[u, c] = True
                        added += 1
    return added


class _LinkedFailure(Exception):
    def __init__(self, failures):
        super().__init__(f"{len(failures)} linked failure(s)")
        self.failures = failures


def _empty_mask(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(False, index=rows.index, columns=rows.columns)


def _derived(frame: pd.DataFrame, service: dict, hidden_inputs: np.ndarray) -> pd.DataFrame:
    """Shares, places per 1,000, required places, deficit and gap from published counts."""
    population = frame[TOTAL].to_numpy(dtype=float, na_value=np.nan)
    covered = frame["covered"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(population > 0, covered / population, np.nan)
        share = np.where(np.isnan(population) | np.isnan(covered), np.nan, share)
        cap, norm = service.get("capacity"), service.get("norm_per_1000")
        out = frame.copy()
        out["share_covered"] = share
        if cap:
            places = frame["places"].to_numpy(dtype=float, na_value=np.nan)
            out["places_per_1000"] = np.where(population > 0, places / population * 1000,
                                              np.nan)
        if norm:
            out["places_required"] = np.ceil(np.round(population * norm / 1000, 6))
            if cap:
                out["places_deficit"] = out["places_required"].to_numpy() - frame[
                    "places"].to_numpy(dtype=float, na_value=np.nan)
    gap = np.zeros(len(out), dtype=bool)
    if "min_share" in service:
        gap |= np.nan_to_num(share, nan=np.inf) < service["min_share"]
    if service.get("capacity") and service.get("norm_per_1000"):
        gap |= out["places_deficit"].to_numpy(dtype=float, na_value=np.nan) > 0
    out["gap"] = pd.array(np.where(hidden_inputs, None, gap), dtype="boolean")
    return out


def _publish(rows: pd.DataFrame, service: dict, result: DisclosureResult, levels: list[str],
             rounded: RoundingResult | None) -> Pattern:
    """The published rows and level tables: the counts (controlled-rounded with
    ``rounded``) where not suppressed, the figures derived from them."""
    hidden = result.suppressed[COUNTS].to_numpy(dtype=bool)
    published = rows.copy()
    for j, c in enumerate(COUNTS):
        values = rows[c].to_numpy(dtype=float, na_value=np.nan).copy()
        if rounded is not None:     # a district without demand units keeps its empty count
            values = np.where(np.isnan(values), np.nan, rounded.table[c].to_numpy(dtype=float))
        values[hidden[:, j]] = np.nan
        published[c] = values
    # the gap flag is a bound on the people: empty wherever a count it rests on is hidden
    uses_share = "min_share" in service
    uses_population = bool(service.get("capacity") and service.get("norm_per_1000"))
    hidden_inputs = np.zeros(len(rows), dtype=bool)
    if uses_share:
        hidden_inputs |= hidden[:, 0] | hidden[:, 1]
    if uses_population:
        hidden_inputs |= hidden[:, 0]
    published = _derived(published, service, hidden_inputs)
    mask = _empty_mask(rows)
    for c in published.columns:
        if c in COUNTS:
            mask[c] = hidden[:, COUNTS.index(c)]
        elif c not in ("key", "name", "service", "target_group", "reach", "norm_per_1000"):
            derived = published[c].isna().to_numpy() & ~pd.isna(rows[c]).to_numpy()
            mask[c] = derived
    level_tables = {}
    sums = rounded_levels(rounded, levels) if rounded is not None else {}
    for level in levels:
        totals = result.totals.get(level)
        if totals is None:
            continue
        level_tables[level] = _level_table(totals, sums.get(level))
    return Pattern(published, mask, level_tables)


def _level_table(totals: pd.DataFrame, rounded: pd.DataFrame | None) -> pd.DataFrame:
    """The level totals as published: hidden where suppressed, else (with rounding) the sums
    of the rounded district cells, so that the districts add up to them."""
    out = pd.DataFrame(index=totals.index)
    for c in COUNTS:
        values = totals[c].to_numpy(dtype=float, na_value=np.nan)
        if rounded is not None:
            sums = rounded[c].reindex(totals.index.astype(str)).to_numpy(dtype=float)
            values = np.where(np.isnan(values), np.nan, sums)
        out[c] = values
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_covered"] = np.where(out[TOTAL] > 0, out["covered"] / out[TOTAL], np.nan)
    return out


def refusal(cells: pd.DataFrame, lang: str) -> DisclosureError:
    de = lang == "de"
    listed = [f"{r.service}: {r.level} {r.unit} '{r.column}' ({r.reason})"
              for r in cells.itertuples()]
    text = (f"Geheimhaltung: die Prüfung (Intervallangriff) findet {len(cells)} kleine Zahl(en) "
            f"aufdeckbar: {format_list(listed, 10)}. Es wurde nichts geschrieben. Abhilfe: "
            "min_count oder round_to in [disclosure] anpassen, Gebiete zusammenfassen, oder die "
            "Ebenen ([districts] levels) prüfen." if de else
            f"disclosure control: the audit (interval attack) finds {len(cells)} small "
            f"count(s) revealed: {format_list(listed, 10)}. Nothing was written. Fix: change "
            "min_count or round_to in [disclosure], merge districts, or check the levels "
            "([districts] levels).")
    return DisclosureError(text, cells=cells)
