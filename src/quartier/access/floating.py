r"""Floating catchment area (FCA) accessibility: 2SFCA, E2SFCA, gravity and Gaussian 2SFCA.

The two-step floating catchment method asks, for every demand unit, how many
places of a service there are per person when every facility's places are
shared among all the people who can reach it. With demand :math:`P_i` (people
of the target group at unit :math:`i`), supply :math:`S_j` (places at
facility :math:`j`), travel cost :math:`d_{ij}` and a weight :math:`w(d)` that
is 0 beyond ``max_cost`` (:math:`d_{ij} \le d_{max}` counts, the limit
included):

.. math::

    R_j = \frac{S_j}{\sum_{i:\, d_{ij} \le d_{max}} P_i\, w(d_{ij})}, \qquad
    A_i = \sum_{j:\, d_{ij} \le d_{max}} R_j\, w(d_{ij}).

:math:`R_j` is places per person in the catchment of facility :math:`j`,
:math:`A_i` places per person available to unit :math:`i`. Only reachable
pairs are touched (a sparse :class:`quartier.access.costs.CostMatrix`), so time and
memory grow with the pairs within reach.

The weights (``method``):

=========== ============================================================
``2sfca``   :math:`w = 1` (Luo & Wang 2003)
``e2sfca``  steps ``{upper_cost: weight}``: :math:`w(d)` is the weight of
            the first step whose upper cost is :math:`\ge d`, 0 beyond the
            last (Luo & Qi 2009); default thirds of ``max_cost`` with
            1, 0.68, 0.22
``gravity`` power :math:`w = (\max(d, d_{min}) / d_{max})^{-\beta}` or
            exponential :math:`w = e^{-\beta d}` (``decay_kind``)
``g2sfca``  Gaussian :math:`w = e^{-d^2 / (2\sigma^2)}` (Dai 2010, without
            the shift that makes it 0 at :math:`d_{max}`)
=========== ============================================================

Defined edge cases (never NaN by accident):

* a demand unit with no facility in reach gets :math:`A_i = 0`;
* a facility whose catchment holds no weighted demand (nobody in reach, or
  only people with 0) has :math:`R_j` undefined; it contributes 0 and is
  reported (``result.report.unused_supply`` and a warning when it has
  places).

Mass balance: :math:`\sum_i P_i A_i = \sum_j S_j` over the facilities with
demand in reach: every place is shared out exactly once.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier._checks import (
    capacity_values,
    nonnegative_number,
    population_values,
    positive_number,
)
from quartier._report import Report, Result
from quartier.access._reach import chunked_pairs, reachable_chunks, same_metric_crs
from quartier.access.costs import CostMatrix, point_coordinates
from quartier.errors import ParameterError, QuartierWarning, format_list
from quartier.settings import get_language

__all__ = ["fca", "fca_weights", "FCAResult", "FCAReport", "METHODS"]

#: The FCA methods :func:`fca` knows.
METHODS = ("2sfca", "e2sfca", "gravity", "g2sfca")
#: Luo & Qi's (2009) E2SFCA step weights, applied to thirds of max_cost by default.
E2SFCA_DEFAULT_STEPS = (1.0, 0.68, 0.22)


def fca_weights(
    method: str,
    *,
    max_cost: float,
    weights: Mapping[float, float] | None = None,
    decay: float | None = None,
    decay_kind: str = "power",
    min_cost: float = 0.0,
) -> Callable[[np.ndarray], np.ndarray]:
    r"""The distance weight :math:`w(d)` of an FCA method, as a vectorised function.

    Parameters
    ----------
    method : {"2sfca", "e2sfca", "gravity", "g2sfca"}
    max_cost : float
        The catchment limit :math:`d_{max}` (weights apply to costs up to it).
    weights : dict, optional
        E2SFCA steps ``{upper_cost: weight}``; a cost :math:`d` gets the weight
        of the smallest upper cost :math:`\ge d`, 0 beyond the largest. Default
        ``{max_cost/3: 1, 2*max_cost/3: 0.68, max_cost: 0.22}``.
    decay : float, optional
        ``gravity``: :math:`\beta` (default 1); ``g2sfca``: :math:`\sigma`
        (default ``max_cost / 2``).
    decay_kind : {"power", "exponential"}, default "power"
        Form of the gravity weight.
    min_cost : float, default 0
        Power gravity: costs below it count as ``min_cost`` (a cost of 0 with
        ``min_cost=0`` is an error, its weight would be infinite).

    Returns
    -------
    callable
        ``w(costs: ndarray) -> ndarray``.

    Raises
    ------
    ValueError
        Unknown method, negative weights or non-positive parameters.

    Examples
    --------
    >>> import numpy as np
    >>> w = fca_weights("e2sfca", max_cost=1500, weights={500: 1.0, 1000: 0.68, 1500: 0.22})
    >>> w(np.array([0.0, 500.0, 500.1, 1500.0, 1600.0])).tolist()
    [1.0, 1.0, 0.68, 0.22, 0.0]
    >>> fca_weights("g2sfca", max_cost=1000, decay=500)(np.array([0.0, 500.0])).round(4).tolist()
    [1.0, 0.6065]
    """
    spec = _weight_spec(method, max_cost=max_cost, weights=weights, decay=decay,
                       decay_kind=decay_kind, min_cost=min_cost)
    from quartier.access._fca_kernel import POWER, TWO_STEP, weight

    if spec[0] == TWO_STEP:
        return lambda d: np.ones(np.shape(d))

    def w(d):
        d = np.asarray(d, dtype=float)
        if spec[0] == POWER and (np.maximum(d, spec[4]) <= 0).any():
            raise ParameterError(ZERO_COST_POWER)
        return weight(spec[0], d, *spec[1:])

    return w


ZERO_COST_POWER = (
    "a demand unit lies at cost 0 from a facility: the power gravity weight is "
    "infinite there. Pass min_cost= (e.g. min_cost=50 for 50 m) or use "
    "decay_kind='exponential'."
)


def _weight_spec(method: str, *, max_cost: float, weights: Mapping[float, float] | None = None,
                decay: float | None = None, decay_kind: str = "power",
                min_cost: float = 0.0) -> tuple:
    """The checked parameters of an FCA weight, as :func:`quartier.access._fca_kernel.weight` takes them.

    Returns ``(mode, uppers, values, beta, floor, scale, s2)``; raises
    ValueError for bad parameters (see :func:`fca_weights`).
    """
    from quartier.access._fca_kernel import EXPONENTIAL, GAUSSIAN, POWER, STEP, TWO_STEP

    method = _check_method(method)
    uppers, values = np.zeros(0), np.zeros(1)
    if method == "2sfca":
        if weights is not None or decay is not None:
            raise ParameterError("method='2sfca' takes no weights= or decay=; use 'e2sfca', "
                             "'gravity' or 'g2sfca' for weighted catchments.")
        return TWO_STEP, uppers, values, 0.0, 0.0, 1.0, 1.0
    if method == "e2sfca":
        if weights is None:
            weights = dict(zip(np.array([1, 2, 3]) * max_cost / 3, E2SFCA_DEFAULT_STEPS,
                               strict=True))
        if not isinstance(weights, Mapping) or not weights:
            raise ParameterError("weights= must be a dict {upper_cost: weight}, e.g. "
                             "{500: 1.0, 1000: 0.68, 1500: 0.22}.")
        items = sorted((positive_number(k, "each upper cost of weights="),
                        nonnegative_number(v, f"the E2SFCA weight of {k!r}", upper=1e6))
                       for k, v in weights.items())
        uppers = np.array([k for k, _ in items])
        values = np.array([v for _, v in items] + [0.0])
        if (values < 0).any() or not np.isfinite(values).all():
            raise ParameterError(f"E2SFCA weights must be 0 or more, got {dict(items)}.")
        return STEP, uppers, values, 0.0, 0.0, 1.0, 1.0
    if weights is not None:
        raise ParameterError(f"method='{method}' takes decay=, not weights= (steps are 'e2sfca').")
    if method == "gravity":
        beta = 1.0 if decay is None else positive_number(decay, "gravity decay (beta)", upper=1e3)
        if decay_kind == "exponential":
            return EXPONENTIAL, uppers, values, beta, 0.0, 1.0, 1.0
        if decay_kind != "power":
            raise ParameterError(
                f"decay_kind must be 'power' or 'exponential', not {decay_kind!r}.")
        return POWER, uppers, values, beta, float(min_cost), float(max_cost), 1.0
    sigma = max_cost / 2 if decay is None else positive_number(decay, "g2sfca decay (sigma)")
    return GAUSSIAN, uppers, values, 0.0, 0.0, 1.0, 2 * sigma**2


@dataclass(frozen=True)
class FCAReport(Report):
    r"""Details of an FCA run: method, catchment, ratios and what took part in nothing.

    Attributes
    ----------
    method : str
    max_cost : float
    ratios : pandas.Series
        :math:`R_j` per facility (index of the facilities, name ``"ratio"``),
        NaN where undefined (no weighted demand in reach).
    n_pairs : int
        Demand-facility pairs within ``max_cost``.
    unreached : list
        Index labels of demand units with no facility in reach (:math:`A_i = 0`).
    unused_supply : list
        Index labels of facilities with no weighted demand in reach.
    capacity : str or None
        The capacity column used (None: one place per facility).

    Examples
    --------
    >>> import pandas as pd
    >>> r = FCAReport("2sfca", 1000.0, pd.Series([0.2, float("nan")], name="ratio"), 3,
    ...               unreached=["c"], unused_supply=[1], capacity="places")
    >>> print(r.text(lang="en"))
    2SFCA within 1000 (capacity 'places'): 3 pairs in reach; 1 demand unit(s) reach no facility; 1 facility(ies) without demand in reach: '1'
    """

    method: str
    max_cost: float
    ratios: pd.Series
    n_pairs: int
    unreached: list = field(default_factory=list)
    unused_supply: list = field(default_factory=list)
    capacity: str | None = None

    def text(self, lang: str | None = None) -> str:
        """The report as readable text, German (``"de"``) or English (``"en"``)."""
        de = (lang or get_language()) == "de"
        cap = (f"Kapazität '{self.capacity}'" if de else f"capacity '{self.capacity}'") \
            if self.capacity else ("je Einrichtung 1 Platz" if de else "one place per facility")
        if de:
            parts = [f"{self.method.upper()} bis {self.max_cost:g} ({cap}): "
                     f"{self.n_pairs} Paare in Reichweite"]
            if self.unreached:
                parts.append(f"{len(self.unreached)} Nachfrageeinheit(en) erreichen keine "
                             "Einrichtung")
            if self.unused_supply:
                parts.append(f"{len(self.unused_supply)} Einrichtung(en) ohne Nachfrage in "
                             f"Reichweite: {format_list(self.unused_supply)}")
        else:
            parts = [f"{self.method.upper()} within {self.max_cost:g} ({cap}): "
                     f"{self.n_pairs} pairs in reach"]
            if self.unreached:
                parts.append(f"{len(self.unreached)} demand unit(s) reach no facility")
            if self.unused_supply:
                parts.append(f"{len(self.unused_supply)} facility(ies) without demand in reach: "
                             f"{format_list(self.unused_supply)}")
        return "; ".join(parts)


@dataclass(frozen=True, repr=False)
class FCAResult(Result):
    """The result of :func:`fca`: the scores and the report.

    Attributes
    ----------
    scores : pandas.Series
        :math:`A_i` (times ``per``) per demand unit, indexed like the demand,
        named after the method.
    report : FCAReport

    Examples
    --------
    See :func:`fca`.
    """

    scores: pd.Series
    report: FCAReport

    def __repr__(self) -> str:
        r = self.report
        return (f"FCAResult(method={r.method}, max_cost={r.max_cost:g}, units={len(self.scores)}, "
                f"facilities={len(r.ratios)}, unreached={len(r.unreached)}, "
                f"unused_supply={len(r.unused_supply)})")


def fca(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    method: str = "2sfca",
    max_cost: float | None,
    demand_col: str,
    capacity: str | None,
    weights: Mapping[float, float] | None = None,
    network: object = None,
    decay: float | None = None,
    decay_kind: str = "power",
    min_cost: float = 0.0,
    normalize: bool = False,
    per: float = 1.0,
    costs: CostMatrix | None = None,
) -> FCAResult:
    r"""Floating catchment accessibility :math:`A_i` of every demand unit.

    See the module docstring of :mod:`quartier.access.floating` for the formulas:
    :math:`R_j = S_j / \sum_i P_i w(d_{ij})`, :math:`A_i = \sum_j R_j w(d_{ij})`
    over the pairs with :math:`d_{ij} \le` ``max_cost``.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Demand units (points; polygons such as grid cells or districts count
        at a point inside) with the target group in ``demand_col``.
    supply : geopandas.GeoDataFrame
        Facilities (points) with their places in ``capacity``.
    method : {"2sfca", "e2sfca", "gravity", "g2sfca"}, default "2sfca"
    max_cost : float
        Catchment size (metres for straight lines, the network's unit
        otherwise); pairs at exactly ``max_cost`` count. For ``e2sfca`` None
        means the largest step.
    demand_col : str
        Column of ``demand`` with the population of the target group.
    capacity : str or None
        Column of ``supply`` with the places (required keyword; pass the same
        column as to ``read_facilities(capacity=...)``). ``None``: every
        facility counts as one place.
    weights : dict, optional
        E2SFCA steps ``{upper_cost: weight}``, e.g. ``{500: 1.0, 1000: 0.68,
        1500: 0.22}``.
    network : None or StreetNetwork
        None for straight-line distances in metres, a street network for
        costs along the streets.
    decay : float, optional
        ``gravity``: the exponent :math:`\beta` (power) or rate (exponential,
        per cost unit); ``g2sfca``: :math:`\sigma`. See :func:`fca_weights`.
    decay_kind : {"power", "exponential"}, default "power"
    min_cost : float, default 0
        Power gravity: costs below this count as this.
    normalize : bool, default False
        Divide by the population-weighted mean :math:`\sum P_i A_i / \sum P_i`
        (as ``access``' ``normalize=True``): 1 is the city average.
    per : float, default 1
        Scale: 1 gives places per person, 1000 places per 1,000 people.
    costs : CostMatrix, optional
        Precomputed demand -> supply costs (e.g. from a street network) to
        reuse; must have ``demand.index`` as origins and ``supply.index`` as
        destinations.

    Returns
    -------
    FCAResult
        ``scores``: :math:`A_i` (times ``per``), a Series indexed like
        ``demand``, named after the method. ``report`` (:class:`FCAReport`)
        holds ``method``, ``max_cost``, ``ratios`` (:math:`R_j` per facility,
        NaN where undefined), ``unused_supply`` (facilities with no weighted
        demand in reach), ``unreached`` (demand units with no facility in
        reach, :math:`A_i=0`) and ``n_pairs``.

    Raises
    ------
    ColumnError
        A column is missing.
    ValueParseError
        Missing or negative populations or places.
    CRSError
        Inputs not in one projected metric CRS.
    ValueError
        Bad method or weight parameters.

    Warns
    -----
    QuartierWarning
        When facilities with places have no demand in reach (their places
        are in no :math:`A_i`); once per process when the numba kernel is
        wanted but cannot be used (see Notes).

    Notes
    -----
    Agrees with PySAL ``access`` (``two_stage_fca``, ``enhanced_two_stage_fca``
    with ``weights.step_fn``, ``weights.gravity`` and ``weights.gaussian``,
    ``normalize=False``) on the same cost table, which also keeps costs
    ``<= max_cost`` and steps ``cost <= upper``. Deliberate differences:
    ``access`` gives NaN to demand units with no facility in reach (here 0)
    and inf/NaN where a catchment has only zero demand (here :math:`R_j`
    contributes 0 and is reported). Gravity is scaled by ``max_cost``, which
    cancels in :math:`A_i`.

    Straight lines (``network=None``, no ``costs=``) have two engines with
    the same results (to 1e-12), chosen by :func:`quartier.set_fca_engine`
    (default ``"auto"``). The numpy path (always available) finds the reachable
    pairs on a grid of cells of ``max_cost / 2`` (the one of
    :func:`quartier.access.costs.straight_line_pairs`) and sums both steps with
    ``bincount``; memory grows with the pairs (Berlin's 30,000 demand points x
    2,500 Kitas: about 0.2 s). The optional numba kernel (``pip install
    "quartier[fast]"``) stores no pair, in memory O(demand + facilities): it
    sums :math:`D_j = \sum_i P_i w(d_{ij})` in parallel over facilities,
    looking only at the demand points in the 5 x 5 cells around each, and
    :math:`A_i = \sum_j R_j w(d_{ij})` in parallel over demand points, with
    the same float64 distances ``sqrt(dx*dx + dy*dy)`` and the same inclusive
    limit (for 2SFCA, cells lying wholly within reach count through their cell
    sums). It is compiled on its first use in an environment (20 s or more) and
    loaded from numba's disk cache in later processes (about 1 s), so
    ``"auto"`` uses it only for about 2 million pairs within reach or more.
    If numba is wanted but cannot be used (not installed, no writable cache
    folder: set ``NUMBA_CACHE_DIR``), a :class:`~quartier.errors.QuartierWarning`
    says so once per process and the numpy path runs. Street networks and
    ``costs=`` always use the pairs.

    Examples
    --------
    Two facilities, three demand points on a line (x in metres):

    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> kids = gpd.GeoDataFrame({"u6": [100, 200, 50]}, crs="EPSG:25833",
    ...     geometry=[Point(0, 0), Point(800, 0), Point(3000, 0)])
    >>> kitas = gpd.GeoDataFrame({"places": [60, 30]}, crs="EPSG:25833",
    ...     geometry=[Point(400, 0), Point(1500, 0)])
    >>> res = fca(kids, kitas, max_cost=1000, demand_col="u6", capacity="places")
    >>> res.scores.round(4).tolist()
    [0.2, 0.35, 0.0]
    >>> res.report.ratios.round(4).tolist(), res.report.unreached
    ([0.2, 0.15], [2])
    """
    method = _check_method(method)
    if max_cost is None:
        if method != "e2sfca" or not weights:
            raise ParameterError(f"method='{method}' needs max_cost= (the catchment size).")
        max_cost = max(float(k) for k in weights)
    max_cost = positive_number(max_cost, "max_cost")
    spec = _weight_spec(method, max_cost=max_cost, weights=weights, decay=decay,
                       decay_kind=decay_kind, min_cost=min_cost)
    population = _demand_values(demand, demand_col)
    places = _supply_values(supply, capacity)
    out = chunks = None
    if network is None and costs is None:  # straight lines: numba kernel for large inputs
        same_metric_crs(demand, supply)
        a = point_coordinates(demand, what="demand")
        b = point_coordinates(supply, what="facility")
        out = _straight_line_numba(a, b, population, places, float(max_cost), spec)
        if out is None:  # the numpy path: the reachable pairs, summed with bincount
            chunks = chunked_pairs(a, b, float(max_cost))
    if out is not None:
        access, ratios, weighted, reached, n_pairs = out
    else:
        weight = None if method == "2sfca" else fca_weights(
            method, max_cost=max_cost, weights=weights, decay=decay, decay_kind=decay_kind,
            min_cost=min_cost)  # None: w = 1, skip the multiplications
        if chunks is None:
            chunks = reachable_chunks(demand, supply, max_cost=max_cost, network=network,
                                      costs=costs)
        access, ratios, weighted, reached, n_pairs = _fca_core(population, places, chunks, weight)

    unused = (weighted <= 0)
    unused_with_places = unused & (places > 0)
    if unused_with_places.any():
        labels = supply.index[unused_with_places]
        warnings.warn(
            f"{int(unused_with_places.sum())} facilit{'y' if unused_with_places.sum() == 1 else 'ies'}"
            f" with {places[unused_with_places].sum():g} places ha"
            f"{'s' if unused_with_places.sum() == 1 else 've'} no demand within "
            f"{max_cost:g} (index {format_list(labels)}); their places count for nobody. "
            "Check their location, or widen max_cost.",
            QuartierWarning,
            stacklevel=2,
        )
    if normalize:
        total = population.sum()
        mean = (population * access).sum() / total if total > 0 else np.nan
        access = access / mean if mean > 0 else np.zeros_like(access)
    scores = pd.Series(access * per, index=demand.index, name=method)
    report = FCAReport(
        method=method,
        max_cost=float(max_cost),
        ratios=pd.Series(np.where(unused, np.nan, ratios), index=supply.index, name="ratio"),
        n_pairs=int(n_pairs),
        unreached=list(demand.index[~reached]),
        unused_supply=list(supply.index[unused]),
        capacity=capacity,
    )
    return FCAResult(scores, report)


def _fca_core(population: np.ndarray, places: np.ndarray, chunks: list, weight=None,
             block: int = 4_000_000):
    """The two FCA steps over reachable pairs with bincount, chunk by chunk.

    ``chunks`` is a list of ``[rows, cols, cost]`` arrays; ``weight`` the
    vectorised w(d) (None: 1). Temporaries are at most ``block`` pairs long.
    Returns (A per demand unit, R per facility with 0 where undefined,
    weighted demand per facility, reached demand units, number of pairs).
    """
    n, m = len(population), len(places)

    def blocks():
        for rows, cols, cost in chunks:
            for s0 in range(0, len(rows), block):
                r, c = rows[s0:s0 + block], cols[s0:s0 + block]
                yield r, c, (None if weight is None else weight(cost[s0:s0 + block]))

    weighted = np.zeros(m)
    reached = np.zeros(n, bool)
    n_pairs = 0
    for r, c, w in blocks():
        pw = population[r] if w is None else population[r] * w
        weighted += np.bincount(c, weights=pw, minlength=m)
        reached[r] = True
        n_pairs += len(r)
    ratios = np.divide(places, weighted, out=np.zeros(m), where=weighted > 0)
    access = np.zeros(n)
    for r, c, w in blocks():
        rw = ratios[c] if w is None else ratios[c] * w
        access += np.bincount(r, weights=rw, minlength=n)
    return access, ratios, weighted, reached, n_pairs


def _demand_values(demand: pd.DataFrame, demand_col: str) -> np.ndarray:
    """The demand column as float64, checked: present, numeric, no NaN, not negative."""
    return population_values(demand, demand_col)


def _supply_values(supply: pd.DataFrame, col: str | None) -> np.ndarray:
    """Places per facility as float64: the ``capacity`` column, or 1 each when it is None."""
    if col is None:
        return np.ones(len(supply))
    return capacity_values(supply, col, source="facilities", stacklevel=4)


def _straight_line_numba(a: np.ndarray, b: np.ndarray, population: np.ndarray,
                         places: np.ndarray, max_cost: float, spec: tuple):
    """Straight-line FCA with the numba kernel when :func:`_fca_kernel.engine_for` picks it.

    Returns what :func:`_fca_core` returns, or None for the numpy path: numba
    not chosen (small input, ``set_fca_engine("numpy")``) or not usable (not
    installed, no cache folder, an error while compiling or loading at the first
    call: warned once per process by :func:`_fca_kernel.numba_failed`).
    """
    from quartier.access import _fca_kernel

    xy = [np.ascontiguousarray(p[:, k]) for p in (a, b) for k in (0, 1)]  # ax, ay, bx, by
    if _fca_kernel.engine_for(*xy, max_cost) != "numba":
        return None
    kernel = _fca_kernel.numba_kernel()
    if kernel is None:
        return None
    try:
        access, ratios, weighted, reached, n_pairs, n_zero = kernel.straight_line_fca(
            *xy, population, places, max_cost, *spec)
    except MemoryError:
        raise
    except Exception as err:  # compile/cache errors: numba, RuntimeError, OSError
        _fca_kernel.numba_failed(f"the compiled kernel failed ({type(err).__name__}: {err})",
                                 stacklevel=4)
        return None
    if n_zero:
        raise ParameterError(ZERO_COST_POWER)
    return access, ratios, weighted, reached, n_pairs


def _check_method(method: str) -> str:
    m = str(method).lower().replace("-", "").replace("_", "")
    if m not in METHODS:
        raise ParameterError(f"method must be one of {format_list(METHODS)}, not {method!r}.")
    return m
