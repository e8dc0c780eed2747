"""The ``filter`` of a service in a configuration: the facilities it keeps, or why none."""

from __future__ import annotations

import warnings

import pandas as pd

from quartier.errors import ColumnError, ConfigError, QuartierWarning, format_list


def filter_facilities(fac: pd.DataFrame, service: dict, *, source: str = "") -> pd.DataFrame:
    """The facilities of ``service`` that match its ``filter`` (``{column: value or list}``).

    A filter column the facilities lack is a ColumnError; a filter that keeps no facility is
    a ConfigError naming the values present (and the one meant, when only the case or the
    spaces differ: ``"Kita"`` for ``"kita"``); a value that matches nothing while others do
    is a QuartierWarning. Nothing is left out silently.
    """
    name = service["name"]
    for column, wanted in (service.get("filter") or {}).items():
        if column not in fac.columns:
            raise ColumnError(
                f"filter of service '{name}' names column '{column}', which '{source}' does "
                f"not have. Columns are: "
                f"{format_list([c for c in fac.columns if c != 'geometry'], 30)}.")
        allowed = wanted if isinstance(wanted, list) else [wanted]
        present = fac[column].dropna().unique().tolist()
        text = {str(v).strip().casefold(): v for v in present}
        unmatched = [v for v in allowed if not fac[column].isin([v]).any()]
        hints = [f"'{v}' -> '{text[str(v).strip().casefold()]}'" for v in unmatched
                 if str(v).strip().casefold() in text]
        hint = f" Did you mean {', '.join(hints)}? Values are matched exactly." if hints else ""
        where = (f"filter {{ {column} = {wanted!r} }} of service '{name}'")
        if len(unmatched) == len(allowed):
            raise ConfigError(
                f"{where} matches none of the {len(fac)} facilities in '{source}'.{hint} The "
                f"values in column '{column}' are: {format_list(sorted(map(str, present)), 30)}.")
        if unmatched:
            warnings.warn(
                f"{where}: {format_list(unmatched)} match{'es' if len(unmatched) == 1 else ''} "
                f"no facility.{hint} Values present: "
                f"{format_list(sorted(map(str, present)), 30)}.",
                QuartierWarning, stacklevel=3)
        fac = fac[fac[column].isin(allowed)]
    return fac
