"""Composite social indices in the style of Berlin's Monitoring Soziale Stadtentwicklung.

The rule of the MSS 2021 (Senatsverwaltung für Stadtentwicklung Berlin), as
reproduced from its published z-values, indices and classes (see
``docs/guide/social-report.md``):

1. Planungsräume with fewer than 300 inhabitants (and single areas declared
   outliers) are not rated.
2. Each indicator is standardised over the rated areas:
   ``z = (x - mean) / sd`` with the population standard deviation (ddof=0).
3. The z-values are summed (equal weights) to the Status- or Dynamiksumme.
4. The sum is standardised again (ddof=0): the Status- or Dynamik-Index.
5. Classes by standard-deviation bands of the index. Status: ``hoch`` below
   -1, ``mittel`` from -1 to 1, ``niedrig`` above 1 up to 1.5, ``sehr
   niedrig`` above 1.5 (high unemployment means a high index and a low
   status). Dynamics: ``positiv`` below -1, ``stabil`` from -1 to 1,
   ``negativ`` above 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from quartier._report import Report
from quartier.errors import DataError, DistrictKeyError, ParameterError, format_list
from quartier.io.keys import normalize_keys
from quartier.reporting._social import key_column, numeric_column
from quartier.settings import resolve_language

__all__ = ["IndexPreset", "PRESETS", "IndexReport", "IndexResult", "composite_index"]


@dataclass(frozen=True)
class IndexPreset:
    """Classes and exclusion rule of a composite index.

    Parameters
    ----------
    class_bounds : tuple of float
        Band limits on the standardised index, ascending, in standard
        deviations. A value exactly on a limit goes to the band nearer the
        mean (so the middle band of the MSS is -1 <= index <= 1).
    class_labels : tuple of str
        German class labels, one more than ``class_bounds``, from the lowest index
        to the highest.
    class_labels_en : tuple of str
        English class labels in the same order.
    min_population : float or None
        Areas with fewer inhabitants are not rated.
    standardize : bool
        Standardise the weighted sum again (the MSS does).
    ddof : int
        Delta degrees of freedom of the standard deviations (0: population SD).

    Examples
    --------
    >>> PRESETS["berlin_mss_status"].class_labels
    ('hoch', 'mittel', 'niedrig', 'sehr niedrig')
    """

    class_bounds: tuple[float, ...]
    class_labels: tuple[str, ...]
    class_labels_en: tuple[str, ...] = field(default=())
    min_population: float | None = 300
    standardize: bool = True
    ddof: int = 0


#: The official MSS 2021 rules: status (S1, S3, S4) and dynamics (D1, D3, D4).
PRESETS: dict[str, IndexPreset] = {
    "berlin_mss_status": IndexPreset(
        class_bounds=(-1.0, 1.0, 1.5), class_labels=("hoch", "mittel", "niedrig", "sehr niedrig"),
        class_labels_en=("high", "medium", "low", "very low")),
    "berlin_mss_dynamics": IndexPreset(
        class_bounds=(-1.0, 1.0), class_labels=("positiv", "stabil", "negativ"),
        class_labels_en=("positive", "stable", "negative")),
}

_NOT_RATED = {
    "de": {"population": "nicht bewertet (< {n} EW)", "missing": "nicht bewertet (fehlende Werte)",
           "excluded": "nicht bewertet ({reason})", "reason": "ausgeschlossen",
           "nopop": "nicht bewertet (EW unbekannt)"},
    "en": {"population": "not rated (< {n} inhabitants)", "missing": "not rated (missing values)",
           "excluded": "not rated ({reason})", "reason": "excluded",
           "nopop": "not rated (population unknown)"},
}


@dataclass(frozen=True)
class IndexReport(Report):
    """How a composite index was computed: what a Sozialstrukturatlas documents.

    Attributes
    ----------
    indicators : tuple of str
        Indicator columns, in order.
    weights : tuple of float
        Weight of each indicator.
    means, sds : dict
        Mean and standard deviation of each indicator over the rated districts.
    ddof : int
        Delta degrees of freedom of the standard deviations.
    class_bounds : tuple of float
        Band limits in standard deviations.
    class_labels : tuple of str
        Class labels, lowest index first.
    not_rated : dict
        ``{district key (or index label): reason}`` of the districts not rated.
    key : str or None
        The key column copied to the table.

    Examples
    --------
    >>> r = IndexReport(indicators=("alo",), weights=(1.0,), means={"alo": 5.0},
    ...                 sds={"alo": 2.0}, ddof=0, class_bounds=(-1.0, 1.0),
    ...                 class_labels=("a", "b", "c"), not_rated={"07": "nicht bewertet"})
    >>> print(r.text(lang="en"))
    Composite index of 1 indicator(s): 'alo' (weights 1).
      classes at -1, 1 SD: 'a', 'b', 'c'
      1 district(s) not rated: '07'
    """

    indicators: tuple[str, ...]
    weights: tuple[float, ...]
    means: dict
    sds: dict
    ddof: int
    class_bounds: tuple[float, ...]
    class_labels: tuple[str, ...]
    not_rated: dict
    key: str | None = None

    def text(self, lang: str | None = None) -> str:
        """The report as readable text, German (``"de"``) or English (``"en"``).

        Parameters
        ----------
        lang : {"de", "en"}, optional

        Returns
        -------
        str
        """
        de = resolve_language(lang) == "de"
        weights = ", ".join(f"{w:g}" for w in self.weights)
        cuts = ", ".join(f"{c:g}" for c in self.class_bounds)
        lines = [
            f"Zusammengesetzter Index aus {len(self.indicators)} Indikator(en): "
            f"{format_list(self.indicators)} (Gewichte {weights})." if de else
            f"Composite index of {len(self.indicators)} indicator(s): "
            f"{format_list(self.indicators)} (weights {weights}).",
            (f"  Klassen bei {cuts} SD: " if de else f"  classes at {cuts} SD: ")
            + format_list(self.class_labels),
        ]
        if self.not_rated:
            lines.append(f"  {len(self.not_rated)} "
                         + ("Gebiet(e) nicht bewertet: " if de else "district(s) not rated: ")
                         + format_list(list(self.not_rated), 20))
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class IndexResult:
    """The result of :func:`composite_index`: ``.table`` and ``.report``.

    Attributes
    ----------
    table : pandas.DataFrame
        Same rows and index as the input: the key column (if given),
        ``z_<indicator>`` per indicator, ``index_sum``, ``index_value`` and
        ``index_class``.
    report : IndexReport
        Means, standard deviations, weights, cut-offs and the districts not rated.
    """

    table: pd.DataFrame
    report: IndexReport

    def __repr__(self) -> str:
        return (f"IndexResult({len(self.table)} districts, "
                f"{len(self.report.not_rated)} not rated)")

    def _repr_html_(self) -> str:
        return self.report._repr_html_() + self.table._repr_html_()


def composite_index(table: pd.DataFrame, indicators: Sequence[str] | Mapping[str, float], *,
                    preset: str | IndexPreset | None = "berlin_mss_status",
                    weights: Sequence[float] | Mapping[str, float] | None = None,
                    population_col: str | None = None, min_population: float | None = None,
                    key: str | None = None, class_bounds: Sequence[float] | None = None,
                    class_labels: Sequence[str] | None = None, exclude=None,
                    lang: str | None = None) -> IndexResult:
    """A composite index with classes by standard-deviation bands (MSS style).

    Each indicator is standardised over the rated areas (z-score), the
    z-values are combined as a weighted sum, the sum is standardised again
    and cut into classes by standard-deviation bands. Areas with too few
    inhabitants, with a missing indicator, or listed in ``exclude`` are not
    rated: their class says why, their numbers are NaN, and they do not
    enter the means and standard deviations.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per district with the indicator columns.
    indicators : list of str or dict
        Indicator columns, oriented so that a higher value means more
        disadvantage (MSS: unemployment, transfer receipt, child poverty).
        A dict ``{column: weight}`` gives weights as well; a negative weight
        turns an indicator round.
    preset : str or IndexPreset, default "berlin_mss_status"
        ``"berlin_mss_status"`` (hoch / mittel / niedrig / sehr niedrig at
        -1, 1, 1.5 SD), ``"berlin_mss_dynamics"`` (positiv / stabil /
        negativ at -1, 1 SD), or an :class:`IndexPreset`.
    weights : list of float or dict, optional
        Weights of the indicators; default 1 each (the MSS).
    population_col : str, optional
        Column of inhabitants for the minimum-population rule.
    min_population : float, optional
        Areas with fewer inhabitants are not rated; default from the preset
        (300 for the MSS presets); 0 turns the rule off. Only applied with
        ``population_col``.
    key : str, optional
        District key column, copied to the result (needed with ``exclude``).
    class_bounds : list of float, optional
        Band limits in standard deviations, overriding the preset.
    class_labels : list of str, optional
        Class labels (one more than the cut-offs), lowest index first,
        overriding the preset.
    exclude : list or dict, optional
        Keys of districts not to rate (needs a key column), e.g. outliers;
        a dict ``{key: reason}`` gives the reason shown in the class.
    lang : {"de", "en"}, optional
        Language of the class labels; default :func:`quartier.get_language`.

    Returns
    -------
    IndexResult
        ``.table``: same rows and index as ``table``, with the key column (if
        given), ``z_<indicator>`` per indicator, ``index_sum`` (weighted sum
        of z-values), ``index_value`` (standardised sum) and ``index_class``.
        ``.report`` (:class:`IndexReport`): means, standard deviations,
        weights, cut-offs and the not-rated districts.

    Raises
    ------
    ColumnError
        If a column is missing or not numeric, an indicator does not vary,
        weights or labels do not fit, or fewer than two districts are rated.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"plr": ["A", "B", "C", "D", "E"],
    ...     "alo": [2.0, 4.0, 6.0, 8.0, 30.0], "transfer": [5.0, 9.0, 12.0, 15.0, 40.0],
    ...     "ew": [1200, 800, 250, 2000, 900]})
    >>> out = composite_index(df, ["alo", "transfer"], population_col="ew", key="plr")
    >>> out.table["index_class"].tolist()
    ['mittel', 'mittel', 'nicht bewertet (< 300 EW)', 'mittel', 'sehr niedrig']
    >>> round(float(out.table["index_value"].iloc[4]), 3)
    1.687
    >>> out.report.not_rated
    {'C': 'nicht bewertet (< 300 EW)'}
    """
    lang = resolve_language(lang)
    words = _NOT_RATED["en" if lang == "en" else "de"]
    rule = _preset(preset, class_bounds, class_labels)
    cut = tuple(float(c) for c in (class_bounds if class_bounds is not None else rule.class_bounds))
    names = tuple(class_labels) if class_labels is not None else (
        rule.class_labels_en if lang == "en" and rule.class_labels_en else rule.class_labels)
    if not np.isfinite(cut).all():
        raise ParameterError(f"class_bounds must be finite numbers, not {list(cut)}.")
    if list(cut) != sorted(cut) or len(set(cut)) != len(cut):
        raise ParameterError(f"class_bounds must be strictly ascending, not {list(cut)}.")
    if len(names) != len(cut) + 1:
        raise ParameterError(
            f"{len(cut)} cut-off(s) make {len(cut) + 1} classes, but {len(names)} label(s) were "
            f"given ({format_list(names)}). Give one class label more than cut-offs "
            "(class_labels=).")
    cols, w = _weights(indicators, weights)
    source = "the table"
    values = pd.DataFrame({c: numeric_column(table, c, source=source, role="indicator column")
                           for c in cols}, index=table.index)
    key = key_column(table, key, source=source, required=exclude is not None)
    reason = pd.Series(None, index=table.index, dtype=object)
    if population_col is not None:
        pop = numeric_column(table, population_col, source=source, role="population column")
        limit = rule.min_population if min_population is None else min_population
        if limit:
            reason[pop.isna()] = words["nopop"]
            n = int(limit) if float(limit).is_integer() else limit
            reason[reason.isna() & (pop < limit)] = words["population"].format(n=n)
    elif min_population:
        raise ParameterError("min_population needs population_col='<column of inhabitants>'.")
    if exclude is not None:
        keys = normalize_keys(table[key], column=key, source=source)
        excl = dict(exclude) if isinstance(exclude, Mapping) else dict.fromkeys(
            exclude, words["reason"])
        excl = {str(k): v for k, v in excl.items()}
        unknown = [k for k in excl if k not in set(keys)]
        if unknown:
            raise DistrictKeyError(f"exclude lists key(s) not in column '{key}': {format_list(unknown)}."
                              " Check the keys (they are text, with leading zeros).")
        hit = keys.isin(list(excl)) & reason.isna()
        reason[hit] = [words["excluded"].format(reason=excl[k]) for k in keys[hit]]
    reason[reason.isna() & values.isna().any(axis=1)] = words["missing"]
    rated = reason.isna()
    if rated.sum() < 2:
        raise DataError(f"only {int(rated.sum())} district(s) can be rated; an index needs at "
                          "least two. Check the indicator and population columns.")
    ref = values[rated]
    means, sds = ref.mean(), ref.std(ddof=rule.ddof)
    flat = [c for c in cols if not sds[c] > 0]
    if flat:
        raise DataError(f"indicator(s) {format_list(flat)} have the same value in every rated "
                          "district, so they cannot be standardised. Leave them out.")
    z = (values - means) / sds
    z[~rated] = np.nan
    total = (z * pd.Series(w, index=cols)).sum(axis=1, min_count=len(cols))
    total[~rated] = np.nan
    if rule.standardize:
        sd = total[rated].std(ddof=rule.ddof)
        index = (total - total[rated].mean()) / sd if sd > 0 else total * np.nan
    else:
        index = total.copy()
    classes = pd.Series(_classify(index.to_numpy(dtype=float), cut, names), index=table.index,
                        dtype=object)
    classes[~rated] = reason[~rated]
    out = pd.DataFrame(index=table.index)
    if key is not None:
        out[key] = table[key]
    for c in cols:
        out[f"z_{c}"] = z[c]
    out["index_sum"], out["index_value"] = total, index
    out["index_class"] = classes.astype(str)
    report = IndexReport(
        indicators=tuple(cols), weights=tuple(w), means=means.to_dict(), sds=sds.to_dict(),
        ddof=rule.ddof, class_bounds=cut, class_labels=names,
        not_rated={(table[key].iloc[i] if key is not None else table.index[i]): r
                   for i, r in enumerate(reason) if pd.notna(r)},
        key=key)
    return IndexResult(out, report)


def _preset(preset, class_bounds, class_labels) -> IndexPreset:
    if isinstance(preset, IndexPreset):
        return preset
    if preset is None:
        if class_bounds is None or class_labels is None:
            raise ParameterError("preset=None needs class_bounds=[...] and class_labels=[...] for the "
                              "classes.")
        return IndexPreset(class_bounds=tuple(class_bounds), class_labels=tuple(class_labels),
                           min_population=None)
    if preset not in PRESETS:
        raise ParameterError(f"unknown preset {preset!r}; use one of {format_list(PRESETS)} or an "
                          "IndexPreset(class_bounds=..., class_labels=...).")
    return PRESETS[preset]


def _weights(indicators, weights) -> tuple[list[str], list[float]]:
    if isinstance(indicators, Mapping):
        if weights is not None:
            raise ParameterError("give weights either in indicators={column: weight} or in "
                              "weights=, not both.")
        cols, w = list(indicators), list(indicators.values())
    else:
        cols = [indicators] if isinstance(indicators, str) else list(indicators)
        if weights is None:
            w = [1.0] * len(cols)
        elif isinstance(weights, Mapping):
            missing = [c for c in cols if c not in weights]
            if missing:
                raise ParameterError(f"weights has no weight for indicator(s) {format_list(missing)}.")
            w = [weights[c] for c in cols]
        else:
            w = list(weights)
    if not cols:
        raise ParameterError("no indicators given. Pass indicators=['S1', 'S3', 'S4'] or similar.")
    if len(w) != len(cols):
        raise ParameterError(f"{len(w)} weight(s) for {len(cols)} indicator(s) "
                          f"({format_list(cols)}). Give one weight per indicator.")
    if len(set(cols)) != len(cols):
        raise ParameterError(f"indicators repeat: {format_list(cols)}. Use a weight instead.")
    bad = [f"{c}={v!r}" for c, v in zip(cols, w, strict=True)
           if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating)
           or not np.isfinite(float(v))]
    if bad:
        raise ParameterError(f"weights must be finite numbers; not {', '.join(bad)}.")
    return cols, [float(v) for v in w]


def _classify(index: np.ndarray, class_bounds: tuple[float, ...], labels: tuple[str, ...]) -> list:
    """Band of each value; a value on a cut-off goes to the band nearer zero."""
    result = []
    for v in index:
        if np.isnan(v):
            result.append(None)
            continue
        band = 0
        for c in class_bounds:
            if v > c or (v == c and c < 0):
                band += 1
        result.append(labels[band])
    return result

