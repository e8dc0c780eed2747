"""Private: the figures of the district profiles (values, city and Bezirk values, ranks, changes).

Every figure is computed from counts after disclosure control:

- district values of shares and rates from their two counts (suppressed with either count);
- city and Bezirk values from the **sums of the counts** (never averaged rates);
- ranks among the districts with a published value and inhabitants (ties share the best rank);
- changes only between years of the same district system.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from quartier.errors import ColumnError, ParameterError, QuartierWarning, format_list
from quartier.io.keys import normalize_keys
from quartier.reporting.disclosure_control import DisclosureRules, apply_disclosure

KINDS = ("count", "share", "rate", "index", "class", "value")
_PER = {"share": 100.0, "rate": 1000.0}


@dataclass(frozen=True)
class Indicator:
    """One indicator of the profiles, normalised from the user's mapping or dict."""

    column: str
    label: str
    kind: str = "count"
    unit: str = ""
    denominator: str | None = None
    per: float = 1.0
    descending: bool = True  # rank 1 = highest value

    @property
    def counts(self) -> tuple[str, ...]:
        if self.kind == "count":
            return (self.column,)
        if self.kind in _PER:
            return (self.column, str(self.denominator))
        return ()

    @property
    def computed(self) -> bool:
        """City and Bezirk values recomputed from counts (count, share, rate)."""
        return self.kind in ("count", "share", "rate")


def indicators_from(spec, lang: str = "de") -> list[Indicator]:
    """``{column: label}`` or a list of dicts (column, label, unit, kind, denominator, per)."""
    if isinstance(spec, Mapping):
        spec = [{"column": c, "label": lab} for c, lab in spec.items()]
    if isinstance(spec, str) or not isinstance(spec, Sequence) or not spec:
        raise ParameterError("indicators must be a mapping {column: label} or a list of dicts "
                             "with 'column', 'label' and optionally 'kind', 'unit', "
                             f"'denominator', 'per'; got {spec!r}.")
    out = []
    for i, item in enumerate(spec):
        if isinstance(item, str):
            item = {"column": item}
        if not isinstance(item, Mapping) or "column" not in item:
            raise ParameterError(f"indicators[{i}] must be a dict with a 'column', not {item!r}.")
        unknown = set(item) - {"column", "label", "kind", "unit", "denominator", "per", "rank"}
        if unknown:
            raise ParameterError(f"indicators[{i}] has unknown key(s) {format_list(unknown)}; "
                                 "use column, label, kind, unit, denominator, per, rank.")
        kind = str(item.get("kind") or ("share" if item.get("denominator") else "count"))
        if kind not in KINDS:
            raise ParameterError(f"indicators[{i}] ('{item['column']}'): kind {kind!r} is "
                                 f"unknown; use one of {', '.join(KINDS)}.")
        den = item.get("denominator")
        if kind in _PER and not den:
            raise ParameterError(f"indicators[{i}] ('{item['column']}') is a {kind}: give its "
                                 "'denominator' (the count column it is computed from), e.g. "
                                 "{'column': 'arbeitslose', 'denominator': 'ew_15_65', "
                                 f"'kind': '{kind}'}}.")
        per = float(item.get("per", _PER.get(kind, 1.0)))
        rank = item.get("rank", "desc")
        if rank not in ("desc", "asc"):
            raise ParameterError(f"indicators[{i}]: rank must be 'desc' (1 = highest) or 'asc' "
                                 f"(1 = lowest), not {rank!r}.")
        unit = item.get("unit")
        if unit is None:
            per_text = f"{per:,.0f}"
            per_text = f"je {per_text.replace(',', '.')}" if lang == "de" else f"per {per_text}"
            unit = {"share": "%", "rate": per_text}.get(kind, "")
        out.append(Indicator(str(item["column"]), str(item.get("label") or item["column"]),
                             kind, str(unit), None if den is None else str(den), per,
                             rank == "desc"))
    seen = [ind.column for ind in out]
    dups = {c for c in seen if seen.count(c) > 1}
    if dups:
        raise ParameterError(f"indicators name column(s) {format_list(dups)} twice; each "
                             "indicator once.")
    return out


@dataclass(frozen=True)
class YearData:
    """One year's table on the districts: protected counts, raw counts, other values."""

    year: object
    system: object
    raw: pd.DataFrame          # indexed by district key: counts and other indicator columns
    shown: pd.DataFrame        # the same after disclosure control (suppressed: NaN)
    hidden: pd.DataFrame       # bool mask of ``shown``'s count columns
    group_hidden: pd.DataFrame  # bool, Bezirk x count column: Bezirk total not publishable


def protect_year(raw: pd.DataFrame, counts: list[str], links, groups: pd.Series | None,
                 rules: DisclosureRules | None, office: pd.DataFrame | None
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Disclosure control for one year: per Bezirk when there are Bezirk totals to publish.

    Applied within each Bezirk, secondary suppression leaves no Bezirk total (and so no city
    total) with exactly one hidden cell. A Bezirk whose only hidden cell cannot be protected
    (it has one district) keeps its total unpublished.
    """
    group_index = sorted(groups.dropna().unique()) if groups is not None else []
    group_hidden = pd.DataFrame(False, index=pd.Index(group_index, dtype=object),
                                columns=counts, dtype=bool)
    if rules is None:
        mask = office.reindex(index=raw.index, columns=raw.columns, fill_value=False) \
            if office is not None else pd.DataFrame(False, index=raw.index, columns=raw.columns)
        shown = raw.copy()
        for c in raw.columns:
            if mask[c].any():
                shown[c] = shown[c].astype(float).mask(mask[c].to_numpy(dtype=bool))
        return shown, mask.astype(bool), group_hidden
    rules = DisclosureRules(rules.min_count, rules.round_to, rules.secondary, tuple(counts),
                            tuple(links), rules.row_totals)
    parts = []
    if groups is None:
        blocks = [raw.index]
    else:
        blocks = [raw.index[(groups == g).to_numpy()] for g in group_index]
        rest = raw.index[groups.isna().to_numpy()]
        if len(rest):
            blocks.append(rest)
    for block in blocks:
        frame = raw.loc[block]
        sup = office.reindex(index=block, columns=raw.columns, fill_value=False) \
            if office is not None else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", QuartierWarning)
            result = apply_disclosure(frame, rules=rules, suppressed=sup)
        for w in caught:  # within a Bezirk an unprotectable cell hides the Bezirk total
            if groups is None or not issubclass(w.category, QuartierWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if groups is not None and caught and len(block):
            g = groups.loc[block[0]]
            if pd.notna(g):
                for c in counts:
                    if int(result.suppressed[c].sum()) == 1:
                        group_hidden.loc[g, c] = True
        parts.append(result)
    shown = pd.concat([p.table for p in parts]).reindex(raw.index)
    hidden = pd.concat([p.suppressed for p in parts]).reindex(raw.index).astype(bool)
    return shown, hidden, group_hidden


def _value(frame: pd.DataFrame, ind: Indicator) -> pd.Series:
    if ind.column not in frame.columns:
        return pd.Series(np.nan, index=frame.index)
    if ind.kind in _PER:
        if ind.denominator not in frame.columns:
            return pd.Series(np.nan, index=frame.index)
        num = frame[ind.column].to_numpy(dtype=float, na_value=np.nan)
        den = frame[ind.denominator].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = num / den * ind.per
        values[~(den > 0)] = np.nan
        return pd.Series(values, index=frame.index)
    if ind.kind == "class":
        return frame[ind.column]
    return pd.to_numeric(frame[ind.column], errors="coerce").astype(float)


def _total(sums: pd.Series | pd.DataFrame, ind: Indicator):
    """City or Bezirk value from summed counts (a scalar for a Series of sums per column)."""
    if ind.kind == "count":
        return sums[ind.column]
    num, den = sums[ind.column], sums[ind.denominator]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den * ind.per
    if isinstance(out, pd.Series):
        return out.where(den > 0)
    return out if den > 0 else np.nan


def _ranks(values: pd.Series, rankable: pd.Series, descending: bool) -> pd.Series:
    ok = values.notna() & rankable
    ranks = pd.Series(np.nan, index=values.index)
    ranks[ok] = values[ok].rank(method="min", ascending=not descending)
    return ranks


def figures(years: list[YearData], indicators: list[Indicator], *, names: pd.Series,
            groups: pd.Series | None, population: str | None) -> pd.DataFrame:
    """The long table of figures: one row per district, indicator and year."""
    rows = []
    report = years[-1]
    by_year = {y.year: y for y in years}
    order = [y.year for y in years]
    keys = report.raw.index
    for y in years:
        if population is not None and population in y.raw.columns:
            pop = pd.to_numeric(y.raw[population], errors="coerce")
            inhabited = (pop > 0).reindex(keys, fill_value=False)
            uninhabited = (pop == 0).reindex(keys, fill_value=False)
        else:
            inhabited = pd.Series(True, index=keys)
            uninhabited = pd.Series(False, index=keys)
        position = order.index(y.year)
        prev_year = order[position - 1] if position > 0 else None
        prev = by_year[prev_year] if position > 0 else None  # (one table: its year is None)
        comparable = prev is not None and prev.system == y.system
        raw_sums = y.raw[[c for c in y.raw.columns if c in {k for i in indicators
                                                             for k in i.counts}]]
        raw_sums = raw_sums.apply(pd.to_numeric, errors="coerce")
        city_sums = raw_sums.sum(min_count=1)
        group_sums = raw_sums.groupby(groups.reindex(raw_sums.index)).sum(min_count=1) \
            if groups is not None else None
        for ind in indicators:
            value = _value(y.shown, ind).reindex(keys)
            hidden = pd.Series(False, index=keys)
            for c in ind.counts:
                if c in y.hidden.columns:
                    hidden |= y.hidden[c].reindex(keys, fill_value=False)
            if ind.kind not in _PER and ind.column in y.hidden.columns:
                hidden |= y.hidden[ind.column].reindex(keys, fill_value=False)
            present = all(c in y.raw.columns for c in ind.counts) and ind.column in y.raw.columns
            if ind.computed and present:
                city = _total(city_sums, ind)
                if groups is not None:
                    gval = _total(group_sums, ind)
                    bad = y.group_hidden[[c for c in ind.counts]].any(axis=1)
                    gval = gval.where(~bad.reindex(gval.index, fill_value=False))
                    group_value = groups.reindex(keys).map(gval).astype(float)
                else:
                    group_value = pd.Series(np.nan, index=keys)
            else:
                city, group_value = np.nan, pd.Series(np.nan, index=keys)
            if ind.kind == "class":
                rank = pd.Series(np.nan, index=keys)
                text = value.astype(object).where(value.notna(), None)
                num = pd.Series(np.nan, index=keys)
            else:
                rankable = inhabited & ~hidden
                if ind.kind in _PER:
                    den = pd.to_numeric(y.raw[ind.denominator], errors="coerce") \
                        if ind.denominator in y.raw.columns else pd.Series(np.nan, index=keys)
                    rankable &= (den.reindex(keys) > 0)
                rank = _ranks(value, rankable, ind.descending)
                text = pd.Series(None, index=keys, dtype=object)
                num = value
            if comparable and ind.kind != "class":
                before = _value(prev.shown, ind).reindex(keys)
                delta = num - before
                note = ""
            else:
                delta = pd.Series(np.nan, index=keys)
                note = "system" if prev is not None else ""
            ranked = int(rank.notna().sum())
            rows.append(pd.DataFrame({
                "key": keys, "name": names.reindex(keys).to_numpy(),
                "group": groups.reindex(keys).to_numpy() if groups is not None else None,
                "indicator": ind.column, "label": ind.label, "kind": ind.kind,
                "unit": ind.unit, "year": y.year, "value": num.to_numpy(dtype=float),
                "text": text.to_numpy(), "city": float(city) if pd.notna(city) else np.nan,
                "group_value": group_value.to_numpy(dtype=float),
                "rank": rank.to_numpy(dtype=float), "ranked": ranked,
                "change": delta.to_numpy(dtype=float), "previous_year": prev_year,
                "suppressed": hidden.to_numpy(dtype=bool),
                "uninhabited": uninhabited.to_numpy(dtype=bool), "note": note,
            }))
    return pd.concat(rows, ignore_index=True)


def year_tables(tables) -> list[tuple[object, pd.DataFrame]]:
    """``tables`` as ``[(year, table), ...]`` sorted by year (one table: year None)."""
    if isinstance(tables, pd.DataFrame):
        return [(None, tables)]
    if not isinstance(tables, Mapping) or not tables:
        raise ParameterError("tables must be one DataFrame or a mapping {year: DataFrame}, "
                             f"not {type(tables).__name__}.")
    for year, table in tables.items():
        if not isinstance(table, pd.DataFrame):
            raise ParameterError(f"tables[{year!r}] must be a DataFrame (from "
                                 f"quartier.read_table), not {type(table).__name__}.")
    try:
        return sorted(tables.items(), key=lambda item: item[0])
    except TypeError as exc:
        raise ParameterError("the years of tables must be comparable (all numbers or all "
                             f"text): {list(tables)}.") from exc


def keyed(table: pd.DataFrame, key: str, where: str) -> pd.DataFrame:
    """The table indexed by its key as text; repeated keys are an error."""
    if key not in table.columns:
        raise ColumnError(f"{where} has no key column '{key}'; its columns are "
                          f"{format_list(table.columns)}. Give table_key= (the key column of "
                          "the tables) or rename the column.")
    keys = normalize_keys(table[key], column=key)
    dup = keys[keys.duplicated()].unique().tolist()
    if dup:
        raise ColumnError(f"{where}: key(s) {format_list(dup)} in column '{key}' occur more "
                          "than once; one row per district.")
    out = table.drop(columns=[key]).copy()
    out.index = pd.Index(keys.to_numpy(), name="key")
    return out


def numeric_counts(frame: pd.DataFrame, counts: list[str], where: str) -> pd.DataFrame:
    for c in counts:
        if c in frame.columns and not (ptypes.is_numeric_dtype(frame[c])
                                       or frame[c].isna().all()):
            raise ColumnError(f"{where}: column '{c}' is used as a count but holds text "
                              f"(dtype {frame[c].dtype}). Read it with quartier.read_table or "
                              "convert it to numbers.")
    return frame
