"""Tables and charts of the connectivity analysis: the console text, and the report ``ecomap build`` writes."""

from __future__ import annotations

import html
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .connectivity import ConnectivityResult, Scenario, alpha_undefined_reason
from .io import atomic_write, write_geojson, write_json, write_text
from .network import Network
from .spreadsheet import neutralise_frame

__all__ = [
    "connectivity_text",
    "scenario_text",
    "corridor_table",
    "patch_table",
    "chart_corridor_importance",
    "chart_dpc_fractions",
    "chart_network_map",
    "gap_table",
    "write_report",
]

_CORRIDOR_COLS = ["rank", "from_id", "to_id", "status", "length_m", "dPC", "dIIC", "gravity",
                  "betweenness", "bridges", "gaps", "trail_m", "restore_dPC"]
_PATCH_COLS = ["kind", "area_km2", "attribute", "dPC", "dPC_intra", "dPC_flux", "dPC_connector",
               "dIIC", "betweenness", "trail_m"]


def _fmt(v, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        if float(v).is_integer() and abs(v) < 1e12:
            return f"{int(v):,}"
        return f"{v:,.{digits}f}"
    return str(v)


def corridor_table(result: ConnectivityResult) -> pd.DataFrame:
    """Corridors ranked by dPC (rank 1 = the largest loss if removed); corridors out of the graph last.

    Parameters
    ----------
    result : ConnectivityResult
        The result of :func:`ecomap.connectivity.analyse`.

    Returns
    -------
    pandas.DataFrame
        ``result.corridors`` sorted by ``rank`` (ties and unranked broken by
        ``restore_dPC``, largest first), with those of ``rank``, ``from_id``, ``to_id``,
        ``status``, ``length_m`` (metres), ``dPC``, ``dIIC`` (% lost), ``gravity``,
        ``betweenness``, ``bridges``, ``gaps``, ``trail_m`` (metres) and ``restore_dPC``
        that it has.
    """
    c = result.corridors
    cols = [k for k in _CORRIDOR_COLS if k in c.columns]
    by = ["rank", "restore_dPC"] if "restore_dPC" in c else ["rank"]
    return c.sort_values(by, ascending=[True, False][: len(by)], na_position="last")[cols]


def patch_table(result: ConnectivityResult) -> pd.DataFrame:
    """Patches by dPC, largest first.

    Parameters
    ----------
    result : ConnectivityResult
        The result of :func:`ecomap.connectivity.analyse`.

    Returns
    -------
    pandas.DataFrame
        ``result.patches`` sorted by ``dPC`` (descending), with those of ``kind``,
        ``area_km2``, ``attribute``, ``dPC``, ``dPC_intra``, ``dPC_flux``,
        ``dPC_connector``, ``dIIC``, ``betweenness`` and ``trail_m`` (metres) that it has.
    """
    p = result.patches
    return p.sort_values("dPC", ascending=False)[[k for k in _PATCH_COLS if k in p.columns]]


def _summary_lines(s: dict) -> list[str]:
    links = "corridors" if s["links_mode"] == "corridors" else f"every patch pair within {_fmt(s['threshold_m'], 0)} m"
    return [
        f"patches {s['n_patches']}, links {s['n_links']} ({links}), components {s['components']}",
        f"landscape area A_L {_fmt(s['landscape_area_km2'])} km2, habitat {_fmt(s['habitat_km2'], 3)} km2",
        f"median dispersal {_fmt(s['median_dispersal_m'], 0)} m (p = 0.5 there)",
        f"IIC   {s['iic']:.6g}",
        f"PC    {s['pc']:.6g}    EC(PC) {s['ec_pc']:.4g} km2",
        f"alpha {_fmt(s['alpha'], 3)}{alpha_undefined_reason(s['n_patches'], s['components'])}"
        f"   beta {_fmt(s['beta'], 3)}   gamma {_fmt(s['gamma'], 3)}",
        f"barrier crossings {s['n_crossings']}, gaps (no crossing structure within "
        f"{_fmt(s['cover_distance_m'], 0)} m) {s['n_gaps']}",
    ]


def _frame_text(df: pd.DataFrame) -> str:
    shown = df.copy()
    for c in shown.columns:
        shown[c] = [_fmt(v) for v in shown[c]]
    return shown.to_string()


def connectivity_text(result: ConnectivityResult, *, top: int = 20) -> str:
    """The readable table ``ecomap connectivity`` prints.

    The summary (IIC [1]_, PC [2]_, EC(PC), alpha/beta/gamma, gaps), notes on a
    habitat larger than the landscape area and on corridors touching no patch, then
    the top corridors, top patches and every gap (WGS-84 lon/lat to 6 decimals).

    Parameters
    ----------
    result : ConnectivityResult
        The result of :func:`ecomap.connectivity.analyse`.
    top : int, default 20
        How many corridors and patches to list.

    Returns
    -------
    str
        Lines joined by newlines, no final newline; missing values shown as ``—``.

    References
    ----------
    .. [1] L. Pascual-Hortal and S. Saura, "Comparison and development of new graph-based
       landscape connectivity indices", *Landscape Ecology* 21 (2006), 959-967 (IIC).
    .. [2] S. Saura and L. Pascual-Hortal, "A new habitat availability index to integrate
       connectivity in landscape conservation planning", *Landscape and Urban Planning*
       83 (2007), 91-103 (PC).
    """
    s = result.summary
    out = ["Connectivity", *("  " + line for line in _summary_lines(s))]
    if s["habitat_km2"] > s["landscape_area_km2"]:
        out.append("  note: the habitat is larger than A_L (patches reach beyond the boundary), so IIC "
                   "and PC may exceed their usual range; give --landscape-area KM2 for the whole extent")
    if s.get("unattached_corridors"):
        out.append("  corridors touching no patch: " + ", ".join(s["unattached_corridors"]))
    if len(result.corridors):
        out += ["", f"Corridors by importance (dPC, dIIC in % lost if removed; gravity in "
                    f"{s['gravity_area_unit']}; top {top}):", _frame_text(corridor_table(result).head(top))]
    if len(result.patches):
        out += ["", f"Patches by dPC (% = intra + flux + connector; top {top}):",
                _frame_text(patch_table(result).head(top))]
    if len(result.gaps):
        g = result.gaps.to_crs("EPSG:4326")
        t = pd.DataFrame({"corridor": g["corridor_id"], "barrier": g["barrier_id"], "kind": g["kind"],
                          "permeability": g["permeability"],
                          "lon": g.geometry.x.round(6), "lat": g.geometry.y.round(6)})
        out += ["", "Gaps (barrier crossings with no crossing structure nearby):", t.to_string()]
    return "\n".join(out)


def scenario_text(sc: Scenario) -> str:
    """Before, after and change of every index.

    Parameters
    ----------
    sc : Scenario
        A before/after comparison from :mod:`ecomap.connectivity`.

    Returns
    -------
    str
        ``Scenario``, the removed and added corridors, then one row per index with
        ``before``, ``after``, ``change`` and ``change %`` (6 significant digits, the
        percentage to 2 decimals, ``—`` where not finite).
    """
    head = []
    if sc.removed:
        head.append("removed: " + ", ".join(sc.removed))
    if sc.added:
        head.append("added: " + ", ".join(sc.added))
    t = sc.table.copy()
    shown = pd.DataFrame({
        "before": [f"{v:.6g}" if math.isfinite(v) else "—" for v in t["before"]],
        "after": [f"{v:.6g}" if math.isfinite(v) else "—" for v in t["after"]],
        "change": [f"{v:+.6g}" if math.isfinite(v) else "—" for v in t["change"]],
        "change %": [f"{v:+.2f}" if math.isfinite(v) else "—" for v in t["change_pct"]],
    }, index=t.index)
    return "\n".join(["Scenario", *("  " + h for h in head), shown.to_string()])


# --------------------------------------------------------------------------------------------
# charts
def _plain_text(func):
    """Run a chart function with mathtext off: ids and names from data are drawn as typed.

    An id such as ``C01 $x^{$`` is valid data, but matplotlib would parse ``$...$`` as
    mathtext and fail or render it as a formula.
    """
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        import matplotlib

        matplotlib.use("Agg")
        with matplotlib.rc_context({"text.parse_math": False}):
            return func(*args, **kwargs)

    return wrapper


def _save(fig, path: Path) -> Path:
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
    return path


@_plain_text
def chart_corridor_importance(result: ConnectivityResult, path: str | os.PathLike) -> Path | None:
    """Horizontal bars of dPC and dIIC per corridor, most important on top.

    Corridors out of the graph (no ``rank``) are left out; a corridor with gaps is
    annotated with their number.

    Parameters
    ----------
    result : ConnectivityResult
        The result of :func:`ecomap.connectivity.analyse`.
    path : str or os.PathLike
        The PNG to write (120 dpi, atomically).

    Returns
    -------
    pathlib.Path or None
        ``path``, or None (nothing written) when no corridor is ranked.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = corridor_table(result)
    t = t[t["rank"].notna()]
    if t.empty:
        return None
    t = t.iloc[::-1]
    y = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.32 * len(t)))
    ax.barh(y + 0.2, t["dPC"], height=0.4, color="#2e7d32", label="dPC (% of PC lost)")
    ax.barh(y - 0.2, t["dIIC"], height=0.4, color="#9e9d24", label="dIIC (% of IIC lost)")
    labels = [f"{i}  {f}–{to}" for i, f, to in zip(t.index, t["from_id"], t["to_id"], strict=True)]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("connectivity lost if the corridor is removed (%)")
    ax.set_title("Corridor importance (rank 1 at the top)")
    gaps = t["gaps"].to_numpy() if "gaps" in t else np.zeros(len(t))
    for yi, (d, g) in enumerate(zip(t["dPC"], gaps, strict=True)):
        if g and g > 0:
            ax.annotate(f"{int(g)} gap{'s' if g > 1 else ''}", (d, yi + 0.2), xytext=(4, -3),
                        textcoords="offset points", fontsize=7, color="#b71c1c")
    top = float(np.nanmax(np.r_[t["dPC"].to_numpy(dtype=float), t["dIIC"].to_numpy(dtype=float), 0.0]))
    ax.set_xlim(0, top * 1.15 if top > 0 else 1)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    try:
        return _save(fig, Path(path))
    finally:
        plt.close(fig)


@_plain_text
def chart_dpc_fractions(result: ConnectivityResult, path: str | os.PathLike, *, top: int = 30
                        ) -> Path | None:
    """Stacked bars per patch: dPC split into intra, flux and connector (Saura & Rubio 2010).

    Parameters
    ----------
    result : ConnectivityResult
        The result of :func:`ecomap.connectivity.analyse`.
    path : str or os.PathLike
        The PNG to write (120 dpi, atomically).
    top : int, default 30
        How many patches, by dPC, to draw.

    Returns
    -------
    pathlib.Path or None
        ``path``, or None (nothing written) when there are no patches.

    References
    ----------
    .. [1] S. Saura and L. Rubio, "A common currency for the different ways in which
       patches and links can contribute to habitat availability and connectivity in the
       landscape", *Ecography* 33 (2010), 523-537.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = patch_table(result).head(top)
    if t.empty:
        return None
    x = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(t) + 2), 4.2))
    bottom = np.zeros(len(t))
    for col, color, label in (("dPC_intra", "#1b5e20", "intra (habitat inside the patch)"),
                              ("dPC_flux", "#66bb6a", "flux (dispersal to and from it)"),
                              ("dPC_connector", "#ffa000", "connector (stepping stone)")):
        v = t[col].to_numpy(dtype=float)
        ax.bar(x, v, bottom=bottom, color=color, label=label, width=0.7)
        bottom += v
    ax.set_xticks(x, t.index, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("dPC (% of PC lost if the patch is removed)")
    ax.set_title("Patch importance: dPC = intra + flux + connector")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    try:
        return _save(fig, Path(path))
    finally:
        plt.close(fig)


def _class_colours(values: np.ndarray, palette) -> list:
    """Quintile classes of ``values`` coloured by ``palette`` (grey where not a number)."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return ["#9e9e9e"] * len(values)
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, len(palette) + 1)))
    cls = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, max(len(edges) - 2, 0))
    n = max(len(edges) - 1, 1)
    pal = [palette[int(round(i * (len(palette) - 1) / max(n - 1, 1)))] for i in range(n)]
    return [pal[c] if np.isfinite(v) else "#9e9e9e" for c, v in zip(cls, values, strict=True)]


@_plain_text
def chart_network_map(result: ConnectivityResult, network: Network, path: str | os.PathLike) -> Path | None:
    """A static overview map: patches by importance (dPC), corridors by dPC, gaps, the district outline.

    Quintile classes as the atlas's importance map (ColorBrewer YlOrRd for corridors,
    Greens for patches), no basemap tiles; the five most important patches named in
    Chinese (English when there is no Chinese name). EPSG:4547 metres.

    Parameters
    ----------
    result : ConnectivityResult
        The result of :func:`ecomap.connectivity.analyse`.
    network : Network
        The network analysed (its geometries).
    path : str or os.PathLike
        The PNG to write.

    Returns
    -------
    pathlib.Path or None
        ``path``, or None when the network has no patches.
    """
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from .export.styles import DPC_COLOURS

    patches, cor = network.patches, network.corridors
    if not len(patches):
        return None
    cjk = [f.name for f in font_manager.fontManager.ttflist if "WenQuanYi" in f.name or "Noto Sans CJK" in f.name]
    with plt.rc_context({"font.sans-serif": [*cjk[:1], "DejaVu Sans"], "font.family": "sans-serif"}):
        fig, ax = plt.subplots(figsize=(10, 8))
        try:
            pd_ = pd.to_numeric(result.patches["dPC"].reindex(patches.index.astype(str)), errors="coerce")
            greens = ("#e5f5e0", "#c7e9c0", "#a1d99b", "#74c476", "#31a354")
            patches.plot(ax=ax, color=_class_colours(pd_.to_numpy(dtype=float), greens), edgecolor="#1b5e20",
                         linewidth=0.4)
            if len(cor):
                cd = pd.to_numeric(result.corridors["dPC"].reindex(cor.index.astype(str)), errors="coerce")
                cor.plot(ax=ax, color=_class_colours(cd.to_numpy(dtype=float), DPC_COLOURS), linewidth=2.5)
            if len(network.boundary):
                network.boundary.boundary.plot(ax=ax, color="#263238", linewidth=1.2)
            if len(result.gaps):
                result.gaps.to_crs(patches.crs).plot(ax=ax, color="#d50000", marker="x", markersize=60,
                                                     linewidth=2, zorder=5)
            for pid in pd_.sort_values(ascending=False).index[:5]:
                row = patches.loc[pid] if pid in patches.index else None
                if row is not None:
                    label = _name(row.get("name_zh"), row.get("name_en")) or str(pid)
                    pt = row.geometry.representative_point()
                    ax.annotate(label, (pt.x, pt.y), fontsize=8, ha="center",
                                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.7, "lw": 0})
            ax.set_title("连通性总览 Connectivity overview: 廊道按 dPC 着色 corridors by dPC, "
                         "斑块按重要性 patches by importance, × 缺口 gaps", fontsize=10)
            ax.set_axis_off()
            ax.set_aspect("equal")
            return _save(fig, Path(path))
        finally:
            plt.close(fig)


def _name(zh, en) -> str:
    """``马峦山 Maluanshan``: the names present, Chinese first."""
    parts = [str(v).strip() for v in (zh, en) if v is not None and v == v and str(v).strip()]
    return " ".join(parts)


def _names(frame: pd.DataFrame) -> pd.Series:
    """Id -> ``name_zh name_en`` of a layer (blank where it has none)."""
    zh = frame["name_zh"] if "name_zh" in frame else pd.Series(None, index=frame.index, dtype=object)
    en = frame["name_en"] if "name_en" in frame else pd.Series(None, index=frame.index, dtype=object)
    out = pd.Series([_name(a, b) for a, b in zip(zh, en, strict=True)], index=frame.index.astype(str), dtype=object)
    return out


# --------------------------------------------------------------------------------------------
# the report
def _html_table(df: pd.DataFrame, *, index_name: str) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in [index_name, *df.columns])
    rows = []
    for idx, r in df.iterrows():
        cells = "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in r.to_numpy())
        rows.append(f"<tr><th>{html.escape(str(idx))}</th>{cells}</tr>")
    return (f"<div class=scroll><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
            "</tbody></table></div>")


_CSS = """body{font-family:system-ui,sans-serif;max-width:90rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;font-size:.85rem;margin:1rem 0}td,th{border:1px solid #ccc;padding:.2rem .45rem;
text-align:right;white-space:nowrap}thead th{background:#eef5ee}tbody th{text-align:left}img{max-width:100%}
.scroll{overflow-x:auto}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}.note{color:#555}"""


def gap_table(result: ConnectivityResult, names: pd.Series | None = None) -> pd.DataFrame:
    """The gaps with their corridor's name and coordinates in WGS-84 and GCJ-02, to 6 decimals.

    Parameters
    ----------
    result : ConnectivityResult
        The result of :func:`ecomap.connectivity.analyse`.
    names : pandas.Series, optional
        Corridor id -> name, shown beside the corridor's id.

    Returns
    -------
    pandas.DataFrame
        Indexed by crossing: ``corridor``, ``name`` (when ``names``), ``barrier``, ``kind``,
        ``permeability``, ``lon``, ``lat`` (WGS-84) and ``lon_gcj02``, ``lat_gcj02``
        (degrees to 6 decimals, about 0.1 m).
    """
    from . import crs as _crs

    g = result.gaps.to_crs(_crs.WGS84)
    gcj = _crs.to_gcj02(g) if len(g) else g
    table = pd.DataFrame({"corridor": g["corridor_id"].to_numpy()}, index=g.index)
    if names is not None:
        table["name"] = names.reindex(g["corridor_id"].astype(str)).fillna("").to_numpy()
    for col in ("barrier_id", "kind", "permeability"):
        table[col.removesuffix("_id")] = g[col].to_numpy()
    table["lon"], table["lat"] = g.geometry.x.round(6).to_numpy(), g.geometry.y.round(6).to_numpy()
    table["lon_gcj02"], table["lat_gcj02"] = gcj.geometry.x.round(6).to_numpy(), gcj.geometry.y.round(6).to_numpy()
    return table


def report_html(result: ConnectivityResult, *, charts: dict[str, str], names: pd.Series | None = None,
                patch_names: pd.Series | None = None,
                title: str = "坪山生态网络连通性 Pingshan ecological network: connectivity") -> str:
    """The human report as one HTML page, headings in Chinese and English (every value from data escaped)."""
    s = result.summary
    e = html.escape
    corr = corridor_table(result)
    if names is not None and len(corr):
        corr.insert(0, "名称 name", names.reindex(corr.index).fillna("").astype(str))
    pt = patch_table(result)
    if patch_names is not None and len(pt):
        pt.insert(0, "名称 name", patch_names.reindex(pt.index.astype(str)).fillna("").astype(str).to_numpy())
    terms = [
        ("IIC", f"{s['iic']:.6g}", "Integral Index of Connectivity (Pascual-Hortal & Saura 2006)"),
        ("PC", f"{s['pc']:.6g}", "Probability of Connectivity (Saura & Pascual-Hortal 2007)"),
        ("EC(PC)", f"{s['ec_pc']:.4g} km²", "equivalent connected habitat area"),
        ("α / β / γ", f"{_fmt(s['alpha'], 3)} / {_fmt(s['beta'], 3)} / {_fmt(s['gamma'], 3)}",
         f"circuitry{alpha_undefined_reason(s['n_patches'], s['components'])}, links/patch, planar connectivity"),
        ("components", str(s["components"]), f"{s['n_patches']} patches, {s['n_links']} links"),
        ("A_L", f"{_fmt(s['landscape_area_km2'])} km²", "landscape area"),
        ("median dispersal", f"{_fmt(s['median_dispersal_m'], 0)} m", "p = 0.5 at this distance"),
        ("gaps", f"{s['n_gaps']} of {s['n_crossings']} barrier crossings",
         f"no bridge site or tunnel within {_fmt(s['cover_distance_m'], 0)} m"),
    ]
    dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)} <span class=note>{e(n)}</span></dd>" for k, v, n in terms)
    parts = [
        "<!doctype html><html lang=zh-Hans><head><meta charset=utf-8>",
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>", f"<dl>{dl}</dl>",
    ]
    if "network_map" in charts:
        parts.append("<h2>总览图 Overview map</h2>"
                     f"<img src='{e(charts['network_map'])}' alt='connectivity overview map'>")
    if "corridor_model" in charts:
        parts.append(f"<h2>廊道模型 Corridor model</h2><img src='{e(charts['corridor_model'])}' alt='corridor model'>")
    if s["habitat_km2"] > s["landscape_area_km2"]:
        parts.append("<p>Note: the habitat patches cover more than the landscape area A_L (they reach "
                     "beyond the boundary), so IIC and PC may exceed their usual range; compare runs "
                     "with the same A_L.</p>")
    if s.get("unattached_corridors"):
        parts.append("<p>Corridors touching no patch (left out of the graph): "
                     f"{e(', '.join(s['unattached_corridors']))}</p>")
    parts.append("<h2>廊道重要性排序 Corridors ranked by importance</h2><p class=note>dPC and dIIC: percent of the "
                 "index lost if the corridor were removed (rank 1 = largest loss). gravity: G = N_a N_b / "
                 f"D² with areas in {e(s['gravity_area_unit'])}. bridges: bridge sites serving the corridor; "
                 "gaps: uncovered barrier crossings; trail_m: metres of trail inside the footprint; "
                 "restore_dPC: PC gained by restoring a broken corridor.</p>")
    if "corridor_importance" in charts:
        parts.append(f"<img src='{e(charts['corridor_importance'])}' alt='corridor importance'>")
    parts.append(_html_table(corr, index_name="corridor") if len(corr) else "<p>No corridors.</p>")
    parts.append("<h2>生境斑块 Patches</h2><p class=note>dPC split into intra (the patch's own habitat), flux "
                 "(dispersal to and from it) and connector (paths between other patches that run "
                 "through it), Saura &amp; Rubio 2010.</p>")
    if "dpc_fractions" in charts:
        parts.append(f"<img src='{e(charts['dpc_fractions'])}' alt='dPC fractions per patch'>")
    parts.append(_html_table(pt, index_name="patch") if len(pt) else "<p>No patches.</p>")
    parts.append("<h2>缺口 Gaps</h2><p class=note>Barrier crossings with no passage. lon/lat: WGS-84 "
                 "(GPS, Google Earth); GCJ-02: for AMap/Gaode and other Chinese map apps. 6 decimals, "
                 "about 0.1 m.</p>")
    if len(result.gaps):
        gt = gap_table(result, names)
        for c in ("lon", "lat", "lon_gcj02", "lat_gcj02"):  # as text: _fmt would keep 2 decimals (~1 km)
            gt[c] = [f"{v:.6f}" for v in gt[c]]
        parts.append(_html_table(gt, index_name="crossing"))
    else:
        parts.append("<p>没有缺口 No uncovered barrier crossing.</p>")
    parts.append("<p class=note>Data: connectivity.json (the same figures), gaps.geojson.</p></body></html>")
    return "\n".join(parts)


def write_report(result: ConnectivityResult, out_dir: str | os.PathLike, *,
                 network: Network | None = None, corridor_model=None) -> list[Path]:
    """Write ``connectivity.json``, ``gaps.geojson``, the two charts and ``index.html`` into ``out_dir``.

    Also ``corridors.csv`` and ``patches.csv`` (:func:`corridor_table`,
    :func:`patch_table`). Every file is written atomically; a chart with nothing to
    draw is not written.

    Parameters
    ----------
    result : ConnectivityResult
        The result of :func:`ecomap.connectivity.analyse`.
    out_dir : str or os.PathLike
        The report folder (``outputs/report`` in a build); created if missing.
    network : Network, optional
        When given, corridor and patch names (Chinese and English) stand beside their ids,
        and ``network_map.png`` (:func:`chart_network_map`) heads the page.
    corridor_model : ecomap.corridors.CorridorModel, optional
        When given (``ecomap build`` passes it), ``corridor_model.png``
        (:func:`ecomap.corridors.render_model_map`) shows its current, paths and pinch points.

    Returns
    -------
    list of pathlib.Path
        ``connectivity.json``, ``gaps.geojson``, ``corridors.csv``, ``patches.csv``,
        the charts drawn, ``index.html``, then ``report.pdf`` (printable: a text page and
        one page per chart, :func:`ecomap.report_pdf.write_report_pdf`).

    References
    ----------
    .. [1] L. Pascual-Hortal and S. Saura, "Comparison and development of new graph-based
       landscape connectivity indices", *Landscape Ecology* 21 (2006), 959-967 (IIC).
    .. [2] S. Saura and L. Pascual-Hortal, "A new habitat availability index to integrate
       connectivity in landscape conservation planning", *Landscape and Urban Planning*
       83 (2007), 91-103 (PC).
    .. [3] S. Saura and L. Rubio, "A common currency for the different ways in which
       patches and links can contribute to habitat availability and connectivity in the
       landscape", *Ecography* 33 (2010), 523-537 (dPC fractions).
    """
    out = Path(out_dir)
    written = [write_json(out / "connectivity.json", result.to_dict())]
    written.append(write_geojson(result.gaps, out / "gaps.geojson"))
    written.append(write_text(out / "corridors.csv", neutralise_frame(corridor_table(result)).to_csv()))
    written.append(write_text(out / "patches.csv", neutralise_frame(patch_table(result)).to_csv()))
    charts = {}
    steps = [("corridor_importance", chart_corridor_importance), ("dpc_fractions", chart_dpc_fractions)]
    if network is not None:
        steps.insert(0, ("network_map", lambda r, p: chart_network_map(r, network, p)))
    if corridor_model is not None:
        from .corridors import render_model_map

        outline = network.district if network is not None else None
        steps.insert(1, ("corridor_model", lambda r, p: render_model_map(corridor_model, p, outline=outline)))
    for key, fn in steps:
        p = fn(result, out / f"{key}.png")
        if p is not None:
            charts[key] = p.name
            written.append(p)
    names = _names(network.corridors) if network is not None else None
    patch_names = _names(network.patches) if network is not None else None
    written.append(write_text(out / "index.html", report_html(result, charts=charts, names=names,
                                                              patch_names=patch_names)))
    from .report_pdf import write_report_pdf

    written.append(write_report_pdf(connectivity_text(result, top=15), out / "report.pdf",
                                    charts=[out / c for c in charts.values()]))
    return written
