"""Private: what every report (join, interpolation, raster sums) and every result shares."""

from __future__ import annotations

import html


class Report:
    """Base of quartier's reports: subclasses implement ``text(lang=None) -> str``.

    ``str(report)`` is the text in the configured language, and notebooks show
    it as preformatted text.
    """

    def text(self, lang: str | None = None) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:  # shown in notebooks
        return "<pre>" + html.escape(self.text()) + "</pre>"


class Result:
    """Base of quartier's result objects (a frozen dataclass with a ``report`` field): notebooks
    show the result's one-line summary and its report as preformatted text."""

    report: Report

    def _repr_html_(self) -> str:  # shown in notebooks
        return "<pre>" + html.escape(repr(self) + "\n" + self.report.text()) + "</pre>"
