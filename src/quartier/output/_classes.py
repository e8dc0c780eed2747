"""Classes, colours and labels shared by the web map (maps.py) and the print map (printmap.py).

Both maps call :func:`classify`, so a printed map and the interactive map of the
same indicator show the same classes, colours and legend labels, and both apply
disclosure control the same way.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from quartier._checks import require_column
from quartier.errors import ColumnError, ParameterError, format_list
from quartier.output.formatting import format_number, format_percent
from quartier.reporting.disclosure_control import DisclosureRules, apply_disclosure
from quartier.settings import resolve_language

#: Colour-blind-safe palettes (ColorBrewer; all marked colour-blind safe), light to dark.
#: Sequential: YlGnBu, Blues, PuRd, Oranges. Diverging (for ``std_mean``): PuOr, RdBu.
PALETTES = {
    "YlGnBu": ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"],
    "Blues": ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594"],
    "PuRd": ["#f1eef6", "#d4b9da", "#c994c7", "#df65b0", "#e7298a", "#ce1256", "#91003f"],
    "Oranges": ["#feedde", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#8c2d04"],
    "PuOr": ["#b35806", "#f1a340", "#fee0b6", "#f7f7f7", "#d8daeb", "#998ec3", "#542788"],
    "RdBu": ["#b2182b", "#ef8a62", "#fddbc7", "#f7f7f7", "#d1e5f0", "#67a9cf", "#2166ac"],
}
#: Fill of districts without a value ("keine Angabe").
MISSING_COLOUR = "#bdbdbd"
#: Fill of districts whose value is suppressed ("gesperrt (Geheimhaltung)"); drawn with a
#: dashed outline on the web map and hatched on the print map.
SUPPRESSED_COLOUR = "#ffffff"
SUPPRESSED_EDGE = "#525252"
#: Fill of districts without inhabitants ("unbewohnt") when a population column is given.
UNINHABITED_COLOUR = "#f2efe6"
#: Colours of categorical maps without ``colours=`` (Okabe-Ito, colour-blind safe).
QUALITATIVE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442",
               "#000000"]

_SCHEMES = {
    "quantiles": "Quantiles",
    "equal_interval": "EqualInterval",
    "natural_breaks": "NaturalBreaks",
    "fisher_jenks": "FisherJenks",
    "std_mean": "StdMean",
}
SCHEMES = (*_SCHEMES, "user_defined")


def missing_label(lang: str) -> str:
    return "keine Angabe" if lang == "de" else "no data"


def suppressed_label(lang: str) -> str:
    return "gesperrt (Geheimhaltung)" if lang == "de" else "suppressed (confidentiality)"


def uninhabited_label(lang: str) -> str:
    return "unbewohnt" if lang == "de" else "no inhabitants"


def class_breaks(values, *, scheme: str = "quantiles", k: int = 5, bins=None) -> list[float]:
    """Upper bounds of the classes of ``values`` (missing values ignored).

    Parameters
    ----------
    values : array-like
        Indicator values.
    scheme : {"quantiles", "equal_interval", "natural_breaks", "fisher_jenks", "std_mean", "user_defined"}
        How to classify: equal counts per class, equal widths, Jenks natural
        breaks (``natural_breaks`` and its exact variant ``fisher_jenks``),
        bands of one standard deviation around the mean, or the upper bounds
        in ``bins``.
    k : int, default 5
        Number of classes (not used for ``user_defined`` and ``std_mean``).
    bins : list of float, optional
        Upper bounds for ``scheme="user_defined"``.

    Returns
    -------
    list of float
        Upper bounds, ascending; the last is the maximum.

    Raises
    ------
    quartier.errors.ParameterError
        For an unknown scheme, ``k`` below 2, or ``user_defined`` without
        ``bins`` (a ``ValueError`` too).

    Examples
    --------
    >>> class_breaks([1, 2, 3, 4], scheme="equal_interval", k=3)
    [2.0, 3.0, 4.0]
    >>> class_breaks([1, 2, 3, 40], scheme="user_defined", bins=[10, 20])
    [10.0, 20.0, 40.0]
    >>> [round(b, 2) for b in class_breaks([0, 0, 0, 0, 5, 10], k=3)]  # no class "bis unter 0,0"
    [1.67, 10.0]
    """
    data = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype=float)
    if scheme not in SCHEMES:
        raise ParameterError(f"unknown scheme={scheme!r}; use one of {format_list(SCHEMES)}.")
    if scheme == "user_defined" and not bins:
        raise ParameterError(
            "scheme='user_defined' needs bins=[upper bounds], e.g. bins=[10, 20, 50].")
    if scheme not in ("user_defined", "std_mean") and int(k) < 2:
        raise ParameterError(
            f"k={k} gives no classes to compare: pass k=2 or more (e.g. k=5), or draw classes "
            "you know with kind='categorical'.")
    if data.size == 0:
        return []
    if scheme == "user_defined":
        edges = sorted(float(b) for b in bins)
        if edges[-1] < data.max():
            edges.append(float(data.max()))
        return edges
    import mapclassify  # imported here: it pulls in scikit-learn and matplotlib (seconds)

    k = max(1, min(int(k), len(np.unique(data))))
    if scheme == "std_mean":
        classifier = mapclassify.StdMean(data)
        edges = [float(b) for b in np.unique(classifier.bins)]
        # bands outside the data range are empty: keep the bounds that split the data
        edges = [b for b in edges if data.min() < b < data.max()] + [float(data.max())]
        return edges
    with warnings.catch_warnings():
        # mapclassify warns when quantiles repeat (many equal values); repeats are merged here
        warnings.simplefilter("ignore", UserWarning)
        classifier = getattr(mapclassify, _SCHEMES[scheme])(data, k=k)
    edges = [float(b) for b in np.unique(classifier.bins)]
    # with many values at the minimum (e.g. 0 % covered) a bound can equal the minimum; under
    # "bis unter" that class could hold nothing, so the minimum starts the first class instead
    return [b for b in edges if b > data.min()] or [float(data.max())]


def legend_labels(breaks: list[float], *, decimals: int = 1, lang: str | None = None) -> list[str]:
    """Class labels as planners write them: "bis unter 10,0", "10,0 bis unter 20,0", ...

    A value equal to a bound belongs to the class above it ("bis unter"); the
    last class includes the maximum.

    Parameters
    ----------
    breaks : list of float
        Upper bounds from :func:`class_breaks`.
    decimals : int, default 1
        Digits after the decimal mark.
    lang : {"de", "en"}, optional
        Default from :func:`quartier.set_language` (German).

    Returns
    -------
    list of str

    Examples
    --------
    >>> legend_labels([10, 1234.5], lang="de")
    ['bis unter 10,0', '10,0 bis 1.234,5']
    >>> legend_labels([10, 1234.5], lang="en")
    ['under 10.0', '10.0 to 1,234.5']
    """
    lang = resolve_language(lang)
    de = lang == "de"

    def fmt(v):
        return format_number(v, decimals, lang=lang)

    labels = []
    for i, upper in enumerate(breaks):
        last = i == len(breaks) - 1
        if i == 0 and not last:
            labels.append(f"bis unter {fmt(upper)}" if de else f"under {fmt(upper)}")
            continue
        lower = breaks[i - 1] if i else upper
        if last:
            labels.append(f"{fmt(lower)} bis {fmt(upper)}" if de else f"{fmt(lower)} to {fmt(upper)}")
        else:
            labels.append(
                f"{fmt(lower)} bis unter {fmt(upper)}" if de else f"{fmt(lower)} to under {fmt(upper)}"
            )
    return labels


def colours(palette: str, n: int) -> list[str]:
    """``n`` colours from a palette of :data:`PALETTES`, spread over its range.

    More classes than the palette has colours are interpolated (in RGB).
    """
    if palette not in PALETTES:
        raise ParameterError(f"unknown palette {palette!r}; use one of {sorted(PALETTES)}.")
    full = PALETTES[palette]
    if n <= 0:
        return []
    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in full], dtype=float)
    pos = np.linspace(0, len(full) - 1, n)
    if n <= len(full):
        return [full[i] for i in pos.round().astype(int)]
    out = np.column_stack([np.interp(pos, np.arange(len(full)), rgb[:, j]) for j in range(3)])
    return ["#" + "".join(f"{int(round(v)):02x}" for v in row) for row in out]


def as_mask(frame: pd.DataFrame, suppressed, columns) -> pd.DataFrame | None:
    """``suppressed=`` of a map as a DataFrame mask: a Series marks the rows of ``columns``."""
    if suppressed is None or isinstance(suppressed, pd.DataFrame):
        return suppressed
    if isinstance(suppressed, pd.Series):
        return pd.DataFrame({c: suppressed for c in columns})
    raise ColumnError(
        "suppressed= must be a boolean pandas Series (rows whose mapped value is suppressed) or "
        f"DataFrame (one column per column), aligned on the index, not {type(suppressed).__name__}."
    )


def protect(frame: pd.DataFrame, columns, *, suppressed=None, rates=None, rules=None):
    """Disclosure control for drawing: (protected table, bool mask of suppressed cells)."""
    result = apply_disclosure(frame, rates=rates, suppressed=as_mask(frame, suppressed, columns),
                              rules=rules)
    return result.table, result.suppressed


@dataclass
class Classified:
    """One indicator, classified for drawing."""

    frame: pd.DataFrame  # the protected table (after apply_disclosure)
    column: str
    values: np.ndarray  # float (per cent if percent); NaN for missing, suppressed, uninhabited
    status: np.ndarray  # "value", "missing", "suppressed" or "uninhabited" per row
    breaks: list[float]  # upper bounds of the numeric classes (after the zero class, if any)
    labels: list[str]  # one per class (the zero class first, if any)
    colours: list[str]  # one per class
    fill: list[str]  # fill colour per row
    suppressed: pd.DataFrame  # bool mask of suppressed cells, same index and columns as frame
    lang: str
    counts: list[int] | None = None  # districts per class
    kind: str = "numeric"
    percent: bool = False

    def legend(self) -> list[tuple[str, str, str, int]]:
        """(colour, label, kind, count) per entry; kind is "class", "missing", "suppressed" or
        "uninhabited". Missing, suppressed and uninhabited are listed only when present."""
        counts = self.counts or [0] * len(self.labels)
        entries = [(c, lab, "class", n)
                   for c, lab, n in zip(self.colours, self.labels, counts, strict=True)]
        for kind, colour, label in (
                ("uninhabited", UNINHABITED_COLOUR, uninhabited_label(self.lang)),
                ("missing", MISSING_COLOUR, missing_label(self.lang)),
                ("suppressed", SUPPRESSED_COLOUR, suppressed_label(self.lang))):
            n = int((self.status == kind).sum())
            if n:
                entries.append((colour, label, kind, n))
        return entries


def is_share(column: str) -> bool:
    """Whether a column of quartier's is a share 0..1 (shown in per cent on maps)."""
    return column.startswith("share_") or column.endswith(("_share", "_rate_share"))


def shown_in_percent(frame: pd.DataFrame, column: str) -> bool:
    """The one rule of web maps, print maps and QGIS styles: a share column (``share_*``) whose
    values all lie in 0..1 is shown in per cent."""
    if column not in frame.columns or not is_share(str(column)):
        return False
    if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(frame[column]):
        return False
    values = pd.to_numeric(frame[column], errors="coerce")
    return bool(((values >= 0) & (values <= 1)).sum() == values.notna().sum())


def check_numeric(frame: pd.DataFrame, column: str) -> None:
    """A numeric map needs numbers: text (keys, class names) is an error naming the fix."""
    series = frame[column]
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        sample = format_list(pd.unique(series.dropna())[:5], limit=5)
        raise ParameterError(
            f"column {column!r} holds text or yes/no values ({sample}), not numbers, so it cannot "
            "be classified into number ranges. For classes or keys pass kind='categorical' "
            "(optionally colours={value: colour}); for numbers stored as text convert the "
            f"column first, e.g. gdf[{column!r}] = pd.to_numeric(gdf[{column!r}]).")


def classify(
    gdf: pd.DataFrame,
    column: str,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    bins=None,
    palette: str | None = None,
    decimals: int = 1,
    lang: str | None = None,
    suppressed=None,
    rates=None,
    rules: DisclosureRules | Literal[False] | None = None,
    kind: str = "numeric",
    colours: dict | None = None,
    class_labels: dict | None = None,
    zero_class: bool = False,
    population=None,
    percent: bool = False,
) -> Classified:
    """Apply disclosure control, then classify ``column`` and give every row its fill colour.

    ``suppressed`` (Series or DataFrame aligned on the index) marks cells a statistics office
    suppressed; ``rates`` links rate columns to their counts (see ``apply_disclosure``).
    ``kind="categorical"`` draws each value (a class, a key) in its own colour (``colours``,
    ``class_labels``: mappings value -> colour / label). ``zero_class`` gives 0 its own class
    (when no value is negative); ``population`` (a Series aligned on the index) marks districts
    with 0 inhabitants "unbewohnt"; ``percent`` shows shares (0..1) in per cent.

    Examples
    --------
    >>> import pandas as pd
    >>> c = classify(pd.DataFrame({"v": [1.0, 2.0, None, 4.0]}), "v", k=2, lang="de")
    >>> c.labels, list(c.status), c.counts
    (['bis unter 2,0', '2,0 bis 4,0'], ['value', 'value', 'missing', 'value'], [1, 2])
    >>> classify(pd.DataFrame({"v": [0.0, 0.0, 0.2, 0.5]}), "v", k=2, zero_class=True,
    ...          percent=True).labels
    ['0 %', 'über 0 bis unter 35,0 %', '35,0 bis 50,0 %']
    """
    require_column(gdf, column, source="the districts", role="column")
    lang = resolve_language(lang)
    if kind not in ("numeric", "categorical"):
        raise ParameterError(f"kind={kind!r} is not known; use 'numeric' (number ranges) or "
                             "'categorical' (classes, keys).")
    protected, mask = protect(gdf, [column], suppressed=suppressed, rates=rates, rules=rules)
    rows = np.flatnonzero(mask[column].to_numpy(dtype=bool))
    if kind == "categorical":
        return _categorical(protected, mask, column, rows, colours, class_labels, lang)
    check_numeric(gdf, column)
    values = pd.to_numeric(protected[column], errors="coerce").to_numpy(dtype=float, copy=True)
    if percent:
        values = values * 100
    status = np.where(np.isnan(values), "missing", "value").astype(object)
    if population is not None:
        people = pd.to_numeric(pd.Series(population), errors="coerce").reindex(gdf.index)
        empty = np.flatnonzero(people.to_numpy(dtype=float) == 0)
        values[empty] = np.nan
        status[empty] = "uninhabited"
    values[rows] = np.nan  # a suppressed value never reaches breaks, colours or tooltips
    status[rows] = "suppressed"
    shown = values[status == "value"]
    zero = bool(zero_class and shown.size and (shown == 0).any() and (shown >= 0).all()
                and scheme != "user_defined")
    breaks = class_breaks(values[values > 0] if zero else values, scheme=scheme, k=k, bins=bins)
    if palette is None:
        palette = "PuOr" if scheme == "std_mean" else "YlGnBu"
    cols = _colours(palette, len(breaks) + zero)
    unit = (" %" if lang == "de" else "%") if percent else ""
    labels = [f"{lab}{unit}" for lab in legend_labels(breaks, decimals=decimals, lang=lang)]
    if zero:
        if labels:
            first = "über 0 bis unter" if lang == "de" else "over 0 to under"
            plain = "bis unter" if lang == "de" else "under"
            top = format_number(breaks[0], decimals, lang=lang)
            labels[0] = labels[0].replace(plain, first, 1) if len(labels) > 1 else (
                f"über 0 bis {top}{unit}" if lang == "de" else f"over 0 to {top}{unit}")
        labels.insert(0, f"0{unit}")
    fill = [MISSING_COLOUR] * len(values)
    counts = [0] * len(cols)
    if breaks or zero:
        edges = np.asarray(breaks)
        # "bis unter": a value equal to a bound belongs to the class above; the last class
        # includes the maximum
        idx = np.minimum(np.searchsorted(edges, values, side="right"), max(len(edges) - 1, 0))
        for i in np.flatnonzero(status == "value"):
            j = 0 if zero and values[i] == 0 else int(idx[i]) + zero
            fill[i] = cols[j]
            counts[j] += 1
    for i in np.flatnonzero(status == "uninhabited"):
        fill[i] = UNINHABITED_COLOUR
    for i in rows:
        fill[i] = SUPPRESSED_COLOUR
    return Classified(protected, column, values, status, breaks, labels, cols, fill, mask, lang,
                      counts, "numeric", percent)


_colours = colours


def _categorical(protected, mask, column, rows, given, class_labels, lang) -> Classified:
    series = protected[column]
    status = np.where(series.isna().to_numpy(), "missing", "value").astype(object)
    status[rows] = "suppressed"
    present = [v for v in pd.unique(series[status == "value"])]
    if given:
        order = list(given)
        unknown = [v for v in present if v not in given and str(v) not in given]
        if unknown:
            raise ParameterError(
                f"colours= has no colour for the value(s) {format_list(unknown)} of column "
                f"{column!r}; add them, e.g. colours={{{unknown[0]!r}: '#1b9e77', ...}}.")
    else:
        order = sorted(present, key=lambda v: (str(type(v)), v))
        if len(order) > len(QUALITATIVE):
            raise ParameterError(
                f"column {column!r} has {len(order)} different values, more than the "
                f"{len(QUALITATIVE)} colours of the default palette: pass colours={{value: "
                "colour}} for each, or map a numeric column with kind='numeric'.")
        given = dict(zip(order, QUALITATIVE, strict=False))
    lookup = {str(key): key for key in given}
    labels_map = class_labels or {}
    fill = [MISSING_COLOUR] * len(series)
    counts = dict.fromkeys(order, 0)
    for i in np.flatnonzero(status == "value"):
        key = series.iloc[i] if series.iloc[i] in given else lookup[str(series.iloc[i])]
        fill[i] = given[key]
        counts[key] += 1
    for i in rows:
        fill[i] = SUPPRESSED_COLOUR
    shown = [key for key in order if counts[key]]
    return Classified(
        protected, column, np.full(len(series), np.nan), status, [],
        [str(labels_map.get(key, key)) for key in shown], [given[key] for key in shown], fill,
        mask, lang, [counts[key] for key in shown], "categorical", False)


def cell_text(frame: pd.DataFrame, column: str, suppressed: pd.DataFrame, *,
              decimals: int, lang: str, percent: bool = False) -> list[str]:
    """Display text per row (not yet HTML-escaped): numbers formatted, suppressed cells named.

    ``suppressed`` is the bool mask of :func:`protect` (same index and columns as ``frame``);
    ``percent`` shows shares (0..1) in per cent.
    """
    series = frame[column]
    blocked = set(np.flatnonzero(suppressed[column].to_numpy(dtype=bool)).tolist()) if (
        column in suppressed.columns) else set()
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        present = series.dropna()
        integral = bool(present.map(lambda v: float(v).is_integer()).all()) if len(present) else True
        if percent:
            texts = [missing_label(lang) if pd.isna(v) else
                     format_percent(float(v), decimals, lang=lang) for v in series]
        else:
            texts = [
                missing_label(lang) if pd.isna(v)
                else format_number(v, 0 if integral else decimals, lang=lang)
                for v in series
            ]
    else:
        texts = [missing_label(lang) if pd.isna(v) else str(v) for v in series]
    return [suppressed_label(lang) if i in blocked else t for i, t in enumerate(texts)]
