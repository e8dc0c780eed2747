"""Save maps as HTML pages that open without internet access (the default).

Maps for councils have to open years later on office PCs that may have no
internet access, or whose firewall blocks content delivery networks. By
default :func:`save_map` (and ``QuartierMap.save`` and the notebook display
of a map from :func:`quartier.choropleth`) embeds everything the page needs (Leaflet
and its stylesheet and images, and jQuery only when the map uses it) from the
pinned copies shipped in ``quartier/output/_vendor`` (see its README), leaves out
what folium references but the map does not use (Bootstrap, Font Awesome,
awesome-markers, ...), and keeps background tiles only when the map has them (asked for with
``tiles=``): the districts are drawn on a plain background. The page then
makes no request at all. ``offline=False`` writes folium's page that loads
Leaflet from the internet.
"""

from __future__ import annotations

import base64
import html
import re
from importlib import resources
from pathlib import Path

import folium

from quartier.errors import QuartierError
from quartier.output.files import write_text_atomic

__all__ = ["save_map", "map_page", "OFFLINE_BACKGROUND"]

#: Background colour of offline maps (no tiles).
OFFLINE_BACKGROUND = "#f4f4f1"

_SCRIPT = re.compile(r'<script\s+src="([^"]+)"\s*>\s*</script>')
_STYLESHEET = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>')
# folium's default resources that an offline map leaves out unless a marker needs them
_UNUSED = (
    "bootstrap",
    "glyphicons",
    "fontawesome",
    "font-awesome",
    "awesome-markers",
    "awesome.rotate",
)


def save_map(m: folium.Map, path, *, offline: bool | None = None,
             title: str | None = None) -> Path:
    """Write a folium map to an HTML file (atomically) that opens without a network.

    Parameters
    ----------
    m : folium.Map
        The map, e.g. from :func:`quartier.choropleth`.
    path : str or os.PathLike
        The HTML file to write. It is written to a temporary file beside it and
        then moved into place, so a reader never sees a half-written map.
    offline : bool or None, default None
        ``None``: Leaflet (and jQuery only if the map uses it) is embedded
        from the copies shipped with quartier, images are inlined as
        ``data:`` URIs and resources the map does not need are left out, so
        the districts draw without a network; background tiles stay only
        if the map has them (``choropleth(tiles=...)``), and load when a
        network is there. ``True``: the same and tiles are dropped, so the
        page makes no network request at all. ``False``: folium's page,
        which loads Leaflet (and tiles) from the internet.
    title : str, optional
        Title of the page (shown in the browser tab).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    quartier.errors.OutputError
        If the file cannot be written (read-only folder, a folder in the way, full disk); the
        previous file is then unchanged. A symbolic link at ``path`` is replaced, not followed.
    quartier.errors.QuartierError
        With ``offline=True``, if the map uses a plugin or icon font quartier
        does not ship (the message names it): leave it out, use
        :func:`quartier.add_facilities` (circle markers) instead of icon
        markers, or save with ``offline=False``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> from quartier import choropleth
    >>> d = gpd.GeoDataFrame({"v": [1.0, 2.0]}, geometry=[box(0, 0, 900, 900),
    ...     box(900, 0, 1800, 900)], crs="EPSG:25832")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "karte.html"
    >>> page = save_map(choropleth(d, "v", k=2), out).read_text(encoding="utf-8")
    >>> "https://cdn" in page, "tile.openstreetmap" in page, "L.map(" in page
    (False, False, True)
    """
    path = Path(path)
    return write_text_atomic(path, map_page(m, offline=offline, title=title), newline="\n")


def map_page(m: folium.Map, *, offline: bool | None = None, title: str | None = None) -> str:
    """The HTML page of a map, as :func:`save_map` writes it (``offline`` as there).

    The page declares its language (``<html lang="de">``): the map's ``lang``
    (maps from :func:`quartier.choropleth`), else the language in force.

    Examples
    --------
    >>> import folium
    >>> page = map_page(folium.Map(tiles=None))
    >>> '<html lang="de">' in page, "https://cdn" in page
    (True, False)
    """
    from quartier.settings import resolve_language

    has_tiles = any(isinstance(c, folium.raster_layers.TileLayer) for c in m._children.values())
    if offline is False:
        text = m.get_root().render()
    else:
        text = _render_offline(m, keep_tiles=offline is None and has_tiles)
    lang = resolve_language(getattr(m, "lang", None))
    text = re.sub(r"<html(\s[^>]*)?>", f'<html lang="{lang}">', text, count=1)
    if title:
        text = text.replace("<head>", f"<head>\n    <title>{html.escape(title)}</title>", 1)
    return text


def _render_offline(m: folium.Map, *, keep_tiles: bool = False) -> str:
    if keep_tiles:
        return _embed(m.get_root().render(), allow_tiles=True)
    # Private folium/branca API, on purpose: rendering a map without its tile layers (and
    # without what an earlier render of them left in the page) needs to enumerate and remove
    # children, and branca has no public way to do either (``add_child`` only adds or replaces).
    # What this relies on (``Element._children`` is the ordered name -> child mapping that
    # rendering walks, in the map and in the figure's header/html/script) is pinned by
    # tests/test_folium_api.py, which fails loudly if folium changes it.
    removed = [
        (key, child)
        for key, child in m._children.items()
        if isinstance(child, folium.raster_layers.TileLayer)
    ]
    figure = m.get_root()
    parts = [figure.header, figure.html, figure.script]
    # folium keeps what an earlier render produced: drop the tile layers' code for this render
    # and restore the figure afterwards, so the map itself is unchanged
    saved = [part._children.copy() for part in parts]
    saved_map = m._children.copy()
    stale = {name for _, child in removed for name in _names(child)}
    for key, _ in removed:
        del m._children[key]
    for part in parts:
        for name in stale & set(part._children):
            del part._children[name]
    try:
        page = figure.render()
    finally:
        for part, children in zip(parts, saved, strict=True):
            part._children = children
        m._children = saved_map
    return _embed(page)


def _names(element) -> set[str]:
    names = {element.get_name()}
    for key, child in element._children.items():
        names |= {key} | _names(child)
    return names


def _embed(page: str, *, allow_tiles: bool = False) -> str:
    """Replace every external script and stylesheet by an embedded copy, or drop it."""
    head_end = page.find("</head>")
    inline_code = _SCRIPT.sub("", page)  # what the map's own scripts do
    uses_jquery = bool(re.search(r"(?<![\w.])\$\(|jQuery", inline_code))
    if "L.AwesomeMarkers" in inline_code or "fa-rotate" in inline_code:
        raise QuartierError(
            "the map uses icon markers (folium.Icon / awesome-markers with Font Awesome), which "
            "an offline map cannot embed without several hundred kB of icon fonts. Draw points "
            "with quartier.add_facilities (circle markers) or folium.CircleMarker, or save "
            "with offline=False."
        )
    unknown: list[str] = []

    def script(match: re.Match) -> str:
        url = match.group(1)
        if re.search(r"leaflet(@[\d.]+)?/dist/leaflet\.js$|/leaflet\.js$", url):
            return _inline_js(_vendor("leaflet/leaflet.js")) + _inline_js(_default_icon_js())
        if re.search(r"jquery[-.@\d]*(\.min)?\.js$", url):
            return _inline_js(_vendor("jquery/jquery.min.js")) if uses_jquery else ""
        if any(word in url.lower() for word in _UNUSED):
            return ""
        unknown.append(url)
        return match.group(0)

    def stylesheet(match: re.Match) -> str:
        url = match.group(1)
        if re.search(r"leaflet(@[\d.]+)?/dist/leaflet\.css$|/leaflet\.css$", url):
            return f"<style>{_leaflet_css()}</style>"
        if any(word in url.lower() for word in _UNUSED):
            return ""
        unknown.append(url)
        return match.group(0)

    head = _STYLESHEET.sub(stylesheet, _SCRIPT.sub(script, page[:head_end]))
    body = page[head_end:]
    for url in _SCRIPT.findall(body) + _STYLESHEET.findall(body):
        unknown.append(url)
    if unknown:
        raise QuartierError(
            "the map needs resources quartier does not ship for offline maps: "
            + ", ".join(sorted(set(unknown)))
            + ". Leave out the plugin that loads them, or save with offline=False."
        )
    background = (
        f"<style>.leaflet-container {{ background: {OFFLINE_BACKGROUND}; }}</style>\n</head>"
    )
    page = head + body.replace("</head>", background, 1)
    _check_self_contained(page, allow_tiles=allow_tiles)
    return page


def _check_self_contained(page: str, *, allow_tiles: bool = False) -> None:
    """Refuse to write an 'offline' page that would still load something."""
    markup = re.sub(r"<script>.*?</script>", "", page, flags=re.S)  # inline code: only strings
    markup = re.sub(r"<style>.*?</style>", "", markup, flags=re.S)
    found = re.findall(r"<(?:script|link|img|iframe|source|video|audio)\b[^>]*?"
                       r"(?:src|href)\s*=\s*[\"']?(?!data:)([^\"' >]+)", markup)
    styles = "".join(re.findall(r"<style>(.*?)</style>", page, flags=re.S))
    found += [u for u in re.findall(r"url\(\s*['\"]?([^'\")]+)", styles)
              if not u.startswith(("data:", "#"))]
    found += re.findall(r"@import\s+['\"]?([^'\";]+)", styles)
    if "L.tileLayer(" in page and not allow_tiles:
        found.append("tile layer")
    if found:
        raise QuartierError(
            "the offline map would still load " + ", ".join(sorted(set(found)))
            + ". Remove the element that references it, or save with offline=False."
        )


def _vendor(name: str) -> bytes:
    return resources.files("quartier.output").joinpath("_vendor", *name.split("/")).read_bytes()


def _data_uri(name: str) -> str:
    return "data:image/png;base64," + base64.b64encode(_vendor(name)).decode("ascii")


def _leaflet_css() -> str:
    css = _vendor("leaflet/leaflet.css").decode("utf-8")
    return re.sub(
        r"url\((images/[\w.-]+\.png)\)",
        lambda mt: f'url("{_data_uri("leaflet/" + mt.group(1))}")',
        css,
    )


def _default_icon_js() -> bytes:
    # Leaflet finds its default marker images via a CSS URL; point it at data: URIs instead
    return (
        'L.Icon.Default.imagePath = "";\nL.Icon.Default.mergeOptions({'
        f'iconUrl: "{_data_uri("leaflet/images/marker-icon.png")}", '
        f'iconRetinaUrl: "{_data_uri("leaflet/images/marker-icon-2x.png")}", '
        f'shadowUrl: "{_data_uri("leaflet/images/marker-shadow.png")}"}});'
    ).encode("ascii")


def _inline_js(code: bytes) -> str:
    text = code.decode("utf-8").replace("</script", "<\\/script")
    return f"<script>{text}</script>\n"
