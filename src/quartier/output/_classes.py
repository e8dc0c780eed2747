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
from quartier.errors import ColumnError
from quartier.output.formatting import format_number
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
    ValueError
        For an unknown scheme, or ``user_defined`` without ``bins``.

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
        raise ValueError(f"unknown scheme {scheme!r}; use one of {sorted(SCHEMES)}.")
    if scheme == "user_defined" and not bins:
        raise ValueError("scheme='user_defined' needs bins=[upper bounds], e.g. bins=[10, 20, 50].")
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
        raise ValueError(f"unknown palette {palette!r}; use one of {sorted(PALETTES)}.")
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
    values: np.ndarray  # float; NaN for missing and suppressed
    status: np.ndarray  # "value", "missing" or "suppressed" per row
    breaks: list[float]
    labels: list[str]
    colours: list[str]
    fill: list[str]  # fill colour per row
    suppressed: pd.DataFrame  # bool mask of suppressed cells, same index and columns as frame
    lang: str

    def legend(self) -> list[tuple[str, str, str]]:
        """(colour, label, kind) per legend entry; kind is "class", "missing" or "suppressed"."""
        entries = [(c, lab, "class") for c, lab in zip(self.colours, self.labels, strict=True)]
        if (self.status == "missing").any():
            entries.append((MISSING_COLOUR, missing_label(self.lang), "missing"))
        if (self.status == "suppressed").any():
            entries.append((SUPPRESSED_COLOUR, suppressed_label(self.lang), "suppressed"))
        return entries


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
) -> Classified:
    """Apply disclosure control, then classify ``column`` and give every row its fill colour.

    ``suppressed`` (Series or DataFrame aligned on the index) marks cells a statistics office
    suppressed; ``rates`` links rate columns to their counts (see ``apply_disclosure``).

    Examples
    --------
    >>> import pandas as pd
    >>> c = classify(pd.DataFrame({"v": [1.0, 2.0, None, 4.0]}), "v", k=2, lang="de")
    >>> c.labels, list(c.status)
    (['bis unter 2,0', '2,0 bis 4,0'], ['value', 'value', 'missing', 'value'])
    """
    require_column(gdf, column, source="the districts", role="column")
    lang = resolve_language(lang)
    protected, mask = protect(gdf, [column], suppressed=suppressed, rates=rates, rules=rules)
    values = pd.to_numeric(protected[column], errors="coerce").to_numpy(dtype=float, copy=True)
    status = np.where(np.isnan(values), "missing", "value").astype(object)
    rows = np.flatnonzero(mask[column].to_numpy(dtype=bool))
    values[rows] = np.nan  # a suppressed value never reaches breaks, colours or tooltips
    status[rows] = "suppressed"
    breaks = class_breaks(values, scheme=scheme, k=k, bins=bins)
    if palette is None:
        palette = "PuOr" if scheme == "std_mean" else "YlGnBu"
    cols = colours(palette, len(breaks))
    labels = legend_labels(breaks, decimals=decimals, lang=lang)
    fill = [MISSING_COLOUR] * len(values)
    if breaks:
        edges = np.asarray(breaks)
        # "bis unter": a value equal to a bound belongs to the class above; the last class
        # includes the maximum
        idx = np.searchsorted(edges, values, side="right")
        idx = np.minimum(idx, len(edges) - 1)
        for i in np.flatnonzero(status == "value"):
            fill[i] = cols[int(idx[i])]
    for i in rows:
        fill[i] = SUPPRESSED_COLOUR
    return Classified(protected, column, values, status, breaks, labels, cols, fill, mask, lang)


def cell_text(frame: pd.DataFrame, column: str, suppressed: pd.DataFrame, *,
              decimals: int, lang: str) -> list[str]:
    """Display text per row (not yet HTML-escaped): numbers formatted, suppressed cells named.

    ``suppressed`` is the bool mask of :func:`protect` (same index and columns as ``frame``).
    """
    series = frame[column]
    blocked = set(np.flatnonzero(suppressed[column].to_numpy(dtype=bool)).tolist()) if (
        column in suppressed.columns) else set()
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        present = series.dropna()
        integral = bool(present.map(lambda v: float(v).is_integer()).all()) if len(present) else True
        texts = [
            missing_label(lang) if pd.isna(v) else format_number(v, 0 if integral else decimals, lang=lang)
            for v in series
        ]
    else:
        texts = ["" if pd.isna(v) else str(v) for v in series]
    return [suppressed_label(lang) if i in blocked else t for i, t in enumerate(texts)]
