"""Private: what every report (join, interpolation, raster sums) shares."""

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
