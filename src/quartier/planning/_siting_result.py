"""Private: turn a solved siting model into tables for planners (sites, assignments, units)."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier.output.formatting import format_number, format_percent
from quartier.settings import resolve_language


@dataclass(frozen=True)
class Coverage:
    """Population covered and its share of the whole target group.

    Examples
    --------
    >>> Coverage(population=450.0, share=0.9)
    Coverage(population=450.0, share=0.9)
    """

    population: float
    share: float


@dataclass(frozen=True)
class SitingResult:
    """The outcome of a siting model.

    Attributes
    ----------
    model : str
        ``"maximal_coverage"``, ``"p_median"`` or ``"set_cover"``.
    selected : list
        Index labels of the chosen candidate sites, in candidate order.
    objective : float
        Maximal covering: population covered (by existing and new sites;
        capacitated: population served). p-median: total population-weighted
        cost to the assigned facility. Set cover: number of new sites.
    status : str
        ``"optimal"`` (proven within ``mip_gap``), ``"time_limit"`` (the
        best solution found when time ran out; see ``gap``) or ``"trivial"``
        (no choice to make, e.g. fewer useful candidates than ``p``).
    gap : float
        Relative optimality gap: the best possible objective is at most this
        share better than the one found (0 when proven optimal).
    coverage_before, coverage_after : Coverage or None
        Population within reach (capacitated: served) with the existing
        facilities only, and with existing and new ones; ``None`` for a
        p-median without ``max_cost``.
    sites : pandas.DataFrame
        One row per open site (new ones first, in candidate order, then the
        existing ones): ``site`` (label), ``kind`` (``"new"``/``"existing"``),
        ``units_assigned``, ``population_assigned``, ``population_in_reach``,
        ``newly_covered`` (population in reach not reached by an existing
        facility) and, with capacities, ``capacity``.
    assignments : pandas.DataFrame
        Which demand unit is served by which site: ``demand``, ``site``,
        ``kind``, ``cost``, ``share`` (of the unit's population; below 1 only
        in capacitated models) and ``population``.
    units : geopandas.GeoDataFrame
        The demand units with ``covered_before``, ``covered_after``,
        ``site``, ``site_kind``, ``cost`` (and ``served_before``,
        ``served_after`` in capacitated models).
    excluded : list
        Demand units left out of the model (population > 0 but no site in
        reach), with the reason in ``messages``.
    messages : list of str
        Everything the planner should know about this result.
    metadata : dict
        Property: ``method`` (model and solver), ``status`` and ``gap``, for
        ``export_layers(..., metadata=res.metadata)``.
    styles : dict
        Property: the column to colour each layer of :meth:`layers` by, for
        ``export_layers(..., styles=res.styles)``.

    Examples
    --------
    See :func:`maximal_coverage`.
    """

    model: str
    selected: list
    objective: float
    status: str
    gap: float
    coverage_before: Coverage | None
    coverage_after: Coverage | None
    sites: pd.DataFrame
    assignments: pd.DataFrame
    units: gpd.GeoDataFrame
    site_geometry: gpd.GeoSeries = field(repr=False)
    excluded: list = field(default_factory=list)
    messages: list = field(default_factory=list)

    @property
    def gain(self) -> float | None:
        """Population newly covered by the chosen sites (``None`` without coverage)."""
        if self.coverage_after is None or self.coverage_before is None:
            return None
        return self.coverage_after.population - self.coverage_before.population

    @property
    def metadata(self) -> dict:
        """Model, solver, status and gap: layer metadata for :func:`quartier.export_layers`."""
        return {"method": f"quartier.siting.{self.model} (HiGHS, scipy.optimize.milp)",
                "status": self.status, "gap": self.gap}

    @property
    def styles(self) -> dict[str, str]:
        """The column to style each layer of :meth:`layers` by (``export_layers(styles=...)``)."""
        return {"standorte": "population_assigned"}

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """GeoDataFrames for maps and :func:`quartier.export_layers`.

        Disclosure control is not applied here: :func:`quartier.export_layers`
        and the map functions apply it when the layers are written or drawn.

        Returns
        -------
        dict of str to geopandas.GeoDataFrame
            ``"standorte"``: the open sites (new and existing) with the
            population assigned to them; ``"nachfrage"``: the demand units
            with covered-before/after flags and their assigned site. Their
            metadata (model, status, gap) is :attr:`metadata`, the column to
            style by :attr:`styles`.

        Examples
        --------
        See :func:`quartier.planning.siting.maximal_coverage`.
        """
        sites = gpd.GeoDataFrame(self.sites.copy(), geometry=self.site_geometry.values,
                                 crs=self.units.crs)
        units = gpd.GeoDataFrame(self.units.copy())
        return {"standorte": sites, "nachfrage": units}

    def summary(self, lang: str | None = None) -> str:
        """A short text for reports, German by default.

        Parameters
        ----------
        lang : {"de", "en"}, optional

        Returns
        -------
        str
        """
        return summary_text(self, lang)

    def __repr__(self) -> str:
        cov = "" if self.coverage_after is None else (
            f", covered {self.coverage_before.share:.1%} -> {self.coverage_after.share:.1%}")
        return (f"SitingResult({self.model}, selected={len(self.selected)}, "
                f"objective={self.objective:g}, status={self.status!r}, gap={self.gap:.2%}{cov})")


def _nearest_open(rows, cols, cost, is_open, n):
    """Per unit the cheapest open site in reach (ties: the first site), or -1."""
    keep = is_open[cols]
    r, c, d = rows[keep], cols[keep], cost[keep]
    order = np.lexsort((c, d, r))
    r, c, d = r[order], c[order], d[order]
    first = np.r_[True, r[1:] != r[:-1]] if r.size else np.zeros(0, bool)
    site = np.full(n, -1)
    best = np.full(n, np.nan)
    site[r[first]] = c[first]
    best[r[first]] = d[first]
    return site, best


def _pair_cost(inp, r, c):
    """Cost of given pairs, looked up in the matrix."""
    key = pd.MultiIndex.from_arrays([inp.rows, inp.cols])
    pos = key.get_indexer(pd.MultiIndex.from_arrays([r, c]))
    return inp.cost[pos]


def build_result(model_name, inp, sol, alloc_before, excluded, messages):
    """The :class:`~quartier.planning.siting.SitingResult` of a solved model."""
    n, m_cand = len(inp.w), inp.m_cand
    m_all = m_cand + len(inp.existing)
    new = np.asarray(sol.open_cand, dtype=int)
    is_open = np.zeros(m_all, bool)
    is_open[new] = True
    is_open[m_cand:] = True
    is_ex = np.zeros(m_all, bool)
    is_ex[m_cand:] = True
    labels = np.concatenate([inp.candidates.index.to_numpy(dtype=object),
                             inp.existing.index.to_numpy(dtype=object)])
    total = float(inp.w.sum())
    reach = inp.max_cost is not None

    before = np.zeros(n, bool)
    before[inp.rows[is_ex[inp.cols]]] = True
    after = np.zeros(n, bool)
    after[inp.rows[is_open[inp.cols]]] = True
    units = inp.demand.copy()
    units["covered_before"] = before
    units["covered_after"] = after

    if sol.alloc is None:
        site, cost = _nearest_open(inp.rows, inp.cols, inp.cost, is_open, n)
        has = (site >= 0) & (inp.w > 0) & ~excluded
        a_r, a_c, a_s = np.flatnonzero(has), site[has], np.ones(int(has.sum()))
        a_d = cost[has]
    else:
        a_r, a_c, a_s = sol.alloc
        a_d = _pair_cost(inp, a_r, a_c)
        order = np.lexsort((-a_s, a_r))
        first = order[np.r_[True, a_r[order][1:] != a_r[order][:-1]]] if a_r.size else order
        site = np.full(n, -1)
        site[a_r[first]] = a_c[first]
        cost = np.full(n, np.nan)
        cost[a_r[first]] = a_d[first]
    pop = inp.w[a_r] * a_s
    assignments = pd.DataFrame({
        "demand": inp.demand.index.to_numpy(dtype=object)[a_r],
        "site": labels[a_c],
        "kind": np.where(is_ex[a_c], "existing", "new"),
        "cost": a_d,
        "share": a_s,
        "population": pop,
    })
    units["site"] = pd.Series(np.where(site >= 0, labels[np.maximum(site, 0)], None),
                              index=units.index, dtype=object)
    units["site_kind"] = pd.Series(
        np.where(site >= 0, np.where(is_ex[np.maximum(site, 0)], "existing", "new"), None),
        index=units.index, dtype=object)
    units["cost"] = cost

    if sol.alloc is not None and alloc_before is not None:
        served_after = np.bincount(a_r, weights=pop, minlength=n)
        b_r, _, b_s = alloc_before
        served_before = np.bincount(b_r, weights=inp.w[b_r] * b_s, minlength=n)
        units["served_before"] = served_before
        units["served_after"] = served_after
        cov_b, cov_a = served_before.sum(), served_after.sum()
    elif sol.alloc is not None:  # capacitated p-median: served is everybody assigned
        units["served_after"] = np.bincount(a_r, weights=pop, minlength=n)
        cov_b, cov_a = inp.w[before].sum(), inp.w[after].sum()
    else:
        cov_b, cov_a = inp.w[before].sum(), inp.w[after].sum()
    coverage_before = coverage_after = None
    if reach:
        coverage_before = Coverage(float(cov_b), float(cov_b / total))
        coverage_after = Coverage(float(cov_a), float(cov_a / total))

    open_idx = np.concatenate([new, np.arange(m_cand, m_all)]).astype(int)
    sites = pd.DataFrame({"site": labels[open_idx],
                          "kind": np.where(is_ex[open_idx], "existing", "new")})
    if inp.cap is not None:
        sites["capacity"] = inp.cap[open_idx]
    pos = np.full(m_all, -1)
    pos[open_idx] = np.arange(open_idx.size)
    sites["units_assigned"] = np.bincount(pos[a_c], minlength=open_idx.size)
    sites["population_assigned"] = np.bincount(pos[a_c], weights=pop, minlength=open_idx.size)
    if reach:
        in_open = is_open[inp.cols]
        r_o, c_o = inp.rows[in_open], pos[inp.cols[in_open]]
        sites["population_in_reach"] = np.bincount(c_o, weights=inp.w[r_o],
                                                   minlength=open_idx.size)
        fresh = ~before[r_o]
        sites["newly_covered"] = np.bincount(c_o[fresh], weights=inp.w[r_o][fresh],
                                             minlength=open_idx.size)
    geometry = pd.concat([inp.candidates.geometry.iloc[new], inp.existing.geometry],
                         ignore_index=True)

    if model_name == "maximal_coverage":
        objective = float(cov_a)
    elif model_name == "p_median":
        objective = float(np.sum(pop * a_d))
    else:
        objective = float(new.size)
    return SitingResult(
        model=model_name,
        selected=inp.candidates.index[new].tolist(),
        objective=objective,
        status=sol.status,
        gap=float(sol.gap),
        coverage_before=coverage_before,
        coverage_after=coverage_after,
        sites=sites,
        assignments=assignments,
        units=gpd.GeoDataFrame(units, geometry=units.geometry.name, crs=inp.demand.crs),
        site_geometry=gpd.GeoSeries(geometry.values, crs=inp.demand.crs),
        excluded=inp.demand.index[excluded].tolist(),
        messages=list(messages),
    )


def summary_text(res, lang=None) -> str:
    """German (default) or English summary of a siting result."""
    de = resolve_language(lang) == "de"
    names = {"maximal_coverage": ("Maximale Abdeckung", "Maximal covering"),
             "p_median": ("p-Median", "p-median"), "set_cover": ("Mindestabdeckung", "Set cover")}
    title = names[res.model][0 if de else 1]
    status = {"optimal": ("optimal", "optimal"), "trivial": ("eindeutig", "no choice needed"),
              "time_limit": (f"Zeitlimit erreicht, Lücke höchstens {format_percent(res.gap)}",
                             f"time limit reached, gap at most {res.gap:.2%}")}[res.status]
    lines = [f"{title}: {len(res.selected)} " + ("neue Standorte" if de else "new sites")
             + f" ({status[0 if de else 1]})."]
    if res.coverage_after is not None:
        b, a = res.coverage_before, res.coverage_after
        if de:
            lines.append(f"Erreicht: vorher {format_number(b.population, 0)} "
                         f"({format_percent(b.share)}), nachher {format_number(a.population, 0)} "
                         f"({format_percent(a.share)}).")
        else:
            lines.append(f"Covered: before {b.population:,.0f} ({b.share:.1%}), "
                         f"after {a.population:,.0f} ({a.share:.1%}).")
    lines.extend(res.messages)
    return "\n".join(lines)
