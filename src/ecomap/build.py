"""The pipeline that ``ecomap build`` runs: load, check, then each step writes into ``outputs/``."""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from . import __version__
from .io import (
    default_data_dir,
    file_digest,
    locked,
    output_folder,
    to_wgs84_frame,
    write_json,
    write_text,
)
from .network import Network, layer_summary, load_network
from .store._url import is_database_url

__all__ = ["BuildContext", "STEPS", "build"]

log = logging.getLogger(__name__)


def _worldcover_reclass() -> Path:
    """The shipped WorldCover reclassification table (``ecomap/landcover_worldcover.toml``)."""
    return Path(str(resources.files("ecomap") / "landcover_worldcover.toml"))


@dataclass
class BuildContext:
    """What the steps share: the loaded network, the output folder, options, results.

    Parameters
    ----------
    network : Network
        The loaded data folder (EPSG:4547).
    out : pathlib.Path
        The output folder (``outputs/``).
    options : dict, optional
        Options of the steps: ``screenshots`` (bool), ``corridors_resolution``
        (metres, default 30), ``progress`` (bool), and for connectivity
        ``median_dispersal`` (metres), ``landscape_area_km2``, ``links`` and
        ``threshold`` (metres). The chain from land cover: ``landcover`` (a GeoTIFF),
        ``reclass`` (its resistance table, default the shipped WorldCover one),
        ``min_core_area_ha``, ``n_sources``, ``foreground`` and MSPA's ``connectivity``,
        ``edge_width``, ``transition`` and ``intext`` (see
        :func:`ecomap.corridors.sources.sources_from_landcover`). Resistance from several
        factors: ``dem`` (a GeoTIFF) and ``roads`` (a line file or ``"network"``), weighted by
        the resistance table's ``[factors]`` (:func:`ecomap.corridors.factors.apply_factors`).
    results : dict, optional
        Each step's Python results by name (``connectivity``, ``corridors``), filled as
        the steps run.
    written : list of pathlib.Path, optional
        Every file written so far, in order.
    digests : dict of str to str, optional
        Digest of each input as it was read (``provenance.json``): SHA-256 of a file's
        bytes, MD5 of a table's rows; default the network's own
        (:attr:`ecomap.network.Network.digests`). Nothing is read again to hash it.
    """

    network: Network
    out: Path
    options: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)

    def wrote(self, path: Path) -> Path:
        """Record a file as written.

        Parameters
        ----------
        path : pathlib.Path
            The file.

        Returns
        -------
        pathlib.Path
            ``path``, so a call can wrap the write.
        """
        self.written.append(Path(path))
        return Path(path)


#: MSPA's parameters that ``build`` passes to :func:`~ecomap.corridors.sources.sources_from_landcover`.
_MSPA_OPTIONS = ("connectivity", "edge_width", "transition", "intext")


def _step_sources(ctx: BuildContext) -> None:
    """With ``landcover``: MSPA sources in ``outputs/sources/``; the later steps run on them.

    The network is replaced by the sources' data folder (``sources/data/``: the input layers with
    ``patches`` = the MSPA cores chosen, no drawn corridors), read back as ``ecomap corridors
    --data`` would read it; the input network is kept for ``provenance.json``.
    """
    from .connectivity import DEFAULT_MEDIAN_DISPERSAL_M
    from .corridors.sources import sources_from_landcover

    o = ctx.options
    if o.get("landcover") is None:
        return
    mspa = {k: o[k] for k in _MSPA_OPTIONS if o.get(k) is not None}
    run = sources_from_landcover(
        ctx.network, o["landcover"], ctx.out / "sources", resolution=float(o.get("corridors_resolution", 30.0)),
        min_core_area_ha=float(o.get("min_core_area_ha") or 0.0), n_sources=o.get("n_sources"),
        median_dispersal=float(o.get("median_dispersal") or DEFAULT_MEDIAN_DISPERSAL_M),
        **({"foreground": tuple(o["foreground"])} if o.get("foreground") else {}), **mspa)
    for path in run.written:
        ctx.wrote(path)
    ctx.results["sources"] = {"run": run, "input_network": ctx.network}
    ctx.network = load_network(ctx.out / "sources" / "data")


def _step_layers(ctx: BuildContext) -> None:
    """Every layer as RFC 7946 GeoJSON in ``outputs/layers/``, all in ``outputs/ecomap.gpkg``, a summary."""
    from .export import export_network

    for path in export_network(ctx.network, ctx.out / "layers", fmt="geojson"):
        ctx.wrote(path)
    for path in export_network(ctx.network, ctx.out / "ecomap.gpkg", fmt="gpkg"):
        ctx.wrote(path)
    summary = layer_summary(ctx.network)
    ctx.wrote(write_text(ctx.out / "layers" / "summary.csv", summary.to_csv()))


def _step_provenance(ctx: BuildContext) -> None:
    """``provenance.json``: ecomap version, input files with SHA-256 (tables with MD5), sources per layer."""
    inputs = {}
    network = ctx.results.get("sources", {}).get("input_network", ctx.network)
    on_db = network.data_dir is None and network.source is not None
    digests = {**network.digests, **ctx.digests}
    where = {n: network.source for n in digests} if on_db else network.sources
    for name, path in where.items():
        gdf = network.layers[name]
        read = {"table": str(name), "md5_rows": digests[name]} if on_db else \
            {"file": str(path), "sha256": digests[name]}
        inputs[name] = {
            **read,
            "features": len(gdf),
            "sources": sorted({str(s) for s in to_wgs84_frame(gdf, precision=None)["source"].dropna()}),
            "confidence": gdf["confidence"].value_counts().to_dict(),
        }
    if ctx.options.get("landcover") is not None:
        for key, path in (("landcover", ctx.options["landcover"]),
                          ("reclass", ctx.options.get("reclass") or _worldcover_reclass())):
            inputs[key] = {"file": str(path), "sha256": file_digest(Path(path))}
    for key in ("dem", "roads"):
        path = ctx.options.get(key)
        if path is not None and str(path) != "network":
            inputs[key] = {"file": str(path), "sha256": file_digest(Path(path))}
    ctx.wrote(write_json(ctx.out / "provenance.json", {
        "ecomap": __version__,
        "data_dir": network.source if on_db else str(network.data_dir),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "options": {k: str(v) if isinstance(v, os.PathLike) else v for k, v in sorted(ctx.options.items())},
        "inputs": inputs,
        "outputs": sorted(str(p.relative_to(ctx.out)) for p in ctx.written if p.is_relative_to(ctx.out)),
    }))


def _step_maps(ctx: BuildContext) -> None:
    """The atlas, its Gaode variant, thematic maps and ``index.html``; PNGs with ``screenshots``."""
    from .webmap import write_maps

    for path in write_maps(
        ctx.network, ctx.out,
        connectivity=ctx.results.get("connectivity"),
        corridors=ctx.results.get("corridors"),
        screenshots=bool(ctx.options.get("screenshots")),
    ):
        ctx.wrote(path)


def _step_corridors(ctx: BuildContext) -> None:
    """Modelled corridors in ``outputs/corridors/``: rasters, least-cost paths, pinch points, overlays."""
    from .corridors import model_corridors, write_corridor_outputs

    o = ctx.options
    model = model_corridors(
        ctx.network,
        resolution=float(o.get("corridors_resolution", 30.0)),
        progress=bool(o.get("progress", False)),
        landcover=o.get("landcover"),
        reclass=(o.get("reclass") or _worldcover_reclass()) if o.get("landcover") is not None else None,
        dem=o.get("dem"), roads=o.get("roads"),
    )
    written, overlays = write_corridor_outputs(model, ctx.out / "corridors")
    for path in written:
        ctx.wrote(path)
    ctx.results["corridors"] = {
        "overlays": overlays,
        "paths": model.paths,
        "pinch_points": model.pinch_points,
        "comparison": model.comparison,
        "model": model,
    }


def _step_connectivity(ctx: BuildContext) -> None:
    """Graph indices, patch and corridor importance and gaps -> ``results["connectivity"]``.

    Options: ``median_dispersal`` (m), ``landscape_area_km2``, ``links``, ``threshold``. On MSPA
    sources (which have no drawn corridors) the default links are every pair of sources
    (``links="distance"``, threshold the district's diagonal), the graph their dPC ranks on.
    """
    from .connectivity import DEFAULT_MEDIAN_DISPERSAL_M, analyse

    o = ctx.options
    links, threshold = o.get("links"), o.get("threshold")
    if not links and "sources" in ctx.results:  # MSPA sources have no drawn corridors: every pair
        links = "distance"
        x0, y0, x1, y1 = ctx.network.district.bounds
        threshold = threshold if threshold is not None else math.hypot(x1 - x0, y1 - y0)
    ctx.results["connectivity"] = analyse(
        ctx.network,
        median_dispersal=o.get("median_dispersal") or DEFAULT_MEDIAN_DISPERSAL_M,
        links=links or "corridors",
        threshold=threshold,
        landscape_area_km2=o.get("landscape_area_km2"),
    )


def _step_report(ctx: BuildContext) -> None:
    """``outputs/report/``: connectivity.json, gaps.geojson, CSV tables, charts and index.html."""
    from .report import write_report

    result = ctx.results.get("connectivity")
    if result is None:
        return
    model = (ctx.results.get("corridors") or {}).get("model")
    for path in write_report(result, ctx.out / "report", network=ctx.network, corridor_model=model):
        ctx.wrote(path)


#: The steps in order; each takes the BuildContext. Provenance stays last.
STEPS: list[tuple[str, Callable[[BuildContext], None]]] = [
    ("sources", _step_sources),
    ("layers", _step_layers),
    ("connectivity", _step_connectivity),
    ("corridors", _step_corridors),
    ("report", _step_report),
    ("maps", _step_maps),
    ("provenance", _step_provenance),
]


def build(
    data_dir: str | os.PathLike | None = None,
    out_dir: str | os.PathLike = "outputs",
    *,
    options: dict | None = None,
) -> BuildContext:
    """Run the whole pipeline on a data folder and write everything into ``out_dir``.

    The steps, in order (:data:`STEPS`): ``sources`` (with the ``landcover`` option only:
    MSPA on the land cover, the cores chosen written to ``sources/`` and used as the patches
    of every later step, the corridor model's surface read from the land cover through
    ``reclass``), ``layers`` (every layer as RFC 7946 GeoJSON
    in ``layers/``, all in ``ecomap.gpkg``, ``layers/summary.csv``), ``connectivity``,
    ``corridors`` (``corridors/``), ``report`` (``report/``), ``maps`` (the atlas, the
    thematic maps, ``index.html``) and ``provenance`` (``provenance.json``: ecomap
    version, the options, input files with SHA-256 (the land cover and its table
    included), sources per layer).

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        The data folder, or a ``postgresql://`` URL (read in one snapshot; provenance
        records an MD5 per table of the rows read, ``md5_rows``); default the bundled
        data (:func:`ecomap.io.default_data_dir`).
    out_dir : str or os.PathLike, default "outputs"
        Where everything is written; created if missing.
    options : dict, optional
        Options of the steps (see :class:`BuildContext`). A falsy ``median_dispersal``
        or ``links`` (0, empty) means its default.

    Returns
    -------
    BuildContext
        Whose ``results`` hold each step's Python results and ``written`` the files
        written.

    Raises
    ------
    DataError
        If the data folder breaks a rule of the catalogue (:func:`ecomap.load_network`),
        before anything is written.
    WriteError
        If an output cannot be written (disk full ...): ``out_dir`` is then unchanged.

    Notes
    -----
    The inputs are read once, under a shared lock on the data folder (``bridges
    import`` waits), and ``provenance.json`` records the SHA-256 of the bytes read, so
    it always matches the data used. The outputs are written into a temporary folder
    beside ``out_dir`` and swapped in whole at the end: after a kill at any point,
    ``out_dir`` is the previous build or the new one (other files in it are kept).
    """
    if is_database_url(data_dir):
        network, digests = _load_consistent_database(str(data_dir))
    else:
        network, digests = _load_consistent(Path(data_dir) if data_dir is not None else default_data_dir())
    out = Path(out_dir)
    with output_folder(out) as folder:  # built beside, swapped in whole: old or new after a kill
        ctx = BuildContext(network, Path(folder), dict(options or {}), digests=digests)
        for name, step in STEPS:
            t0 = time.perf_counter()
            step(ctx)
            log.info("step %s done in %.2f s", name, time.perf_counter() - t0)
    ctx.written = [out / p.relative_to(ctx.out) if p.is_relative_to(ctx.out) else p for p in ctx.written]
    ctx.out = out
    return ctx


def _load_consistent_database(url: str) -> tuple[Network, dict[str, str]]:
    """Load from PostGIS in one read-only snapshot, with the MD5 of each table's rows read.

    Every table is read, and its digest taken, in one ``REPEATABLE READ`` transaction
    (:func:`ecomap.store.read_layers`): imports that commit meanwhile are not seen, and
    the digests describe exactly the rows the build used.
    """
    network = load_network(url)
    return network, dict(network.digests)


def _load_consistent(data_dir: Path) -> tuple[Network, dict[str, str]]:
    """Load the folder under a shared lock, with the SHA-256 of exactly the bytes read.

    ``bridges import`` holds the exclusive lock while it rewrites the register, so it
    waits, and the layers read belong together. Each file is read once and hashed from
    the bytes parsed (:func:`ecomap.io.read_layer_file`), so even a writer that ignores
    the lock (replacing a file by rename) cannot make the digest describe other data.
    """
    with locked(data_dir, exclusive=False, name=".bridges.lock"):
        network = load_network(data_dir)
    return network, dict(network.digests)
