"""Travel profiles: who moves how fast along which kinds of ways (private helper).

A profile is a speed plus rules which OpenStreetMap ways (``highway=*`` and
access tags) or which line classes of a GIS layer (the ``fclass`` column of
Geofabrik shapefiles and similar) the target group may use.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from quartier._checks import positive_number
from quartier.access.network._driving import CAR_SPEEDS, car_allows
from quartier.errors import ParameterError, QuartierError

# ways open to everybody on foot (and, unless tagged otherwise, by bike)
_STREETS = {
    "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
    "unclassified", "residential", "living_street", "service", "road", "track",
}
_FOOT = {"footway", "pedestrian", "path", "steps", "corridor", "bridleway", "cycleway",
         "sidewalk", "crossing", "footpath", "elevator"}
_FAST = {"motorway", "motorway_link", "trunk", "trunk_link"}
_NEVER = {"construction", "proposed", "abandoned", "disused", "raceway", "bus_guideway",
          "escape", "platform", "rest_area", "services"}
_YES = {"yes", "designated", "permissive", "official", "destination"}
_NO = {"no", "private", "use_sidepath", "discouraged"}


@dataclass(frozen=True)
class Profile:
    """A travel profile.

    Attributes
    ----------
    name : str
        Canonical name (``walk``, ``senior``, ``wheelchair``, ``bike``, ``car``).
    speed_kmh : float
        Travel speed on the flat, used to turn metres into minutes; for the
        car the top speed (no edge is faster).
    label : str
        A German description for reports.
    steps : bool
        Whether steps (stairs) can be used.
    mode_key : str
        The OSM access key of the mode (``foot``, ``bicycle`` or ``motorcar``).
    speeds : tuple of (str, float)
        Car only: speed (km/h) per road class where no ``maxspeed`` is tagged;
        classes not listed (or at 0) are not driven on.
    access_kmh : float or None
        Car only: speed of the straight access leg from a location to the
        street (driveways, yards, parking); None: ``speed_kmh``.
    """

    name: str
    speed_kmh: float
    label: str
    steps: bool = True
    mode_key: str = "foot"
    speeds: tuple = ()
    access_kmh: float | None = None

    @property
    def driving(self) -> bool:
        """Whether the profile has speeds per road class (the car)."""
        return bool(self.speeds)

    @property
    def speed_table(self) -> dict:
        """Speeds (km/h) per road class (car; empty otherwise)."""
        return dict(self.speeds)

    @property
    def access_metres_per_minute(self) -> float:
        """Speed of the access leg in metres per minute."""
        kmh = self.speed_kmh if self.access_kmh is None else self.access_kmh
        return kmh * 1000.0 / 60.0

    @property
    def metres_per_minute(self) -> float:
        """Speed in metres per minute."""
        return self.speed_kmh * 1000.0 / 60.0

    def allows_osm(self, tags) -> bool:
        """Whether a way with these OSM tags (a mapping) may be used."""
        if self.driving:
            return car_allows(tags, self.speed_table)
        hw = tags.get("highway")
        if hw is None or hw in _NEVER:
            return False
        if tags.get("area") == "yes" and hw not in {"pedestrian", "footway"}:
            return False
        mode = tags.get(self.mode_key)
        if mode == "no":
            return False
        if self.name == "wheelchair" and tags.get("wheelchair") == "no":
            return False
        explicit = mode in _YES
        if tags.get("access") in _NO and not explicit:
            return False
        return self.allows_class(hw, explicit=explicit)

    def allows_class(self, cls: str, *, explicit: bool = False) -> bool:
        """Whether a way class (OSM ``highway`` value or Geofabrik ``fclass``) may be used."""
        cls = str(cls).strip().lower()
        if cls.startswith("track_grade"):
            cls = "track"
        if self.driving:
            return bool(self.speed_table.get(cls))
        if cls in _NEVER:
            return False
        if cls == "steps" and not self.steps:
            return False
        if cls in _FAST:
            return explicit
        if self.mode_key == "bicycle" and cls in {"footway", "pedestrian", "steps", "sidewalk",
                                                  "corridor", "crossing", "footpath"}:
            return explicit
        return True


PROFILES = {
    "walk": Profile("walk", 4.5, "zu Fuß (4,5 km/h)"),
    "senior": Profile("senior", 3.0, "ältere Menschen / mit Rollator (3 km/h)"),
    "wheelchair": Profile("wheelchair", 3.0, "im Rollstuhl, ohne Treppen (3 km/h)", steps=False),
    "bike": Profile("bike", 15.0, "mit dem Fahrrad (15 km/h)", steps=False, mode_key="bicycle"),
    "car": Profile("car", 130.0, "mit dem Auto", steps=False, mode_key="motorcar",
                   speeds=tuple(CAR_SPEEDS.items()), access_kmh=15.0),
}
_ALIASES = {
    "walking": "walk", "foot": "walk", "fuss": "walk", "fuß": "walk", "pedestrian": "walk",
    "walker": "senior", "older": "senior", "elderly": "senior", "rollator": "senior",
    "rollstuhl": "wheelchair", "cycling": "bike", "bicycle": "bike", "cycle": "bike",
    "rad": "bike", "fahrrad": "bike", "auto": "car", "pkw": "car", "driving": "car",
    "drive": "car", "motorcar": "car",
}
UNITS = ("m", "min")


def get_profile(profile: str | Profile) -> Profile:
    """Resolve a profile name (or alias) to a :class:`Profile`."""
    if isinstance(profile, Profile):
        return profile
    key = str(profile).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in PROFILES:
        raise QuartierError(
            f"unknown profile {profile!r}. Use one of 'walk' (4.5 km/h), 'senior' (3 km/h, "
            "older people or with a walker), 'wheelchair' (3 km/h, no steps), 'bike' (15 km/h) or "
            "'car' (speeds per road class and speed limit)."
        )
    return PROFILES[key]


def with_speeds(profile: Profile, speeds) -> Profile:
    """The car profile with some class speeds replaced (``speeds``: mapping class -> km/h)."""
    if speeds is None:
        return profile
    if not profile.driving:
        raise ParameterError(
            f"speeds= applies to the car profile only, not to '{profile.name}'; give "
            "profile='car' or leave speeds out."
        )
    if not hasattr(speeds, "items"):
        raise ParameterError(
            "speeds= must be a mapping of road class to km/h, e.g. {'residential': 30}."
        )
    table = profile.speed_table
    for cls, kmh in speeds.items():
        if kmh == 0:
            table[str(cls)] = 0.0
            continue
        kmh = positive_number(kmh, f"speeds[{cls!r}]", unit="km/h")
        if kmh > profile.speed_kmh:
            raise ParameterError(
                f"speeds[{cls!r}] = {kmh:g} km/h is above the top speed of the profile "
                f"({profile.speed_kmh:g} km/h); give at most {profile.speed_kmh:g}."
            )
        table[str(cls)] = float(kmh)
    return replace(profile, speeds=tuple(table.items()))


def check_unit(unit: str) -> str:
    """Validate the cost unit."""
    if unit not in UNITS:
        raise QuartierError(
            f"unknown unit {unit!r}. Use unit='m' for metres or unit='min' for minutes."
        )
    return unit


_FALSY = {"", "f", "false", "no", "n", "0", "nein", "none", "nan", "0.0"}


def truthy(series: pd.Series) -> np.ndarray:
    """Read a bridge/tunnel column (T/F, yes/no, 1/0, bool, 'viaduct', ...) as booleans."""
    if series.dtype == bool:
        return series.to_numpy()
    text = series.astype(object).where(series.notna(), "").astype(str).str.strip().str.lower()
    return ~text.isin(_FALSY).to_numpy()
