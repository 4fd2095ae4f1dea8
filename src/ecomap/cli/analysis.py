"""Analysis commands: corridors, sources (MSPA), omniscape, connectivity."""

from __future__ import annotations

import math
import sys

from .options import _data_arg, _factor_args, _mspa_args, _mspa_options, _out_folder, _path, _roads


# --- corridors ---------------------------------------------------------------------------
def _add_corridors(sub) -> None:
    p = sub.add_parser("corridors", help="least-cost corridors and circuit-theory pinch points on a resistance surface")
    _data_arg(p)
    p.add_argument("--resolution", type=float, default=30.0, metavar="M", help="cell size in metres (default 30)")
    p.add_argument("--extent", choices=("district", "city"), default="district",
                   help="raster over the district boundary (default) or the city's districts")
    p.add_argument("--resistance", type=_path, default=None, metavar="TABLE.toml",
                   help="resistance table (default: the shipped one; see docs/corridors.md)")
    p.add_argument("--landcover", type=_path, default=None, metavar="FILE.tif",
                   help="land-cover GeoTIFF for the base surface (any CRS; needs --reclass)")
    p.add_argument("--reclass", type=_path, default=None, metavar="TABLE.toml",
                   help="land-cover code -> resistance table for --landcover")
    _factor_args(p)
    p.add_argument("--width", type=float, default=20000.0, metavar="COST",
                   help="corridor truncation width in COST UNITS, not metres (default 20000)")
    p.add_argument("--max-cost", type=float, default=None, metavar="COST",
                   help="least-cost distance up to which links the plan lacks are listed (default: the costliest drawn link)")
    p.add_argument("--neighbours", type=int, choices=(4, 8, 16), default=8,
                   help="cells joined to 8 neighbours (default) or 4, for cost-distance and circuits; 16 adds "
                        "knight's moves to cost-distance and least-cost paths (GRASS r.cost -k), circuits use 8")
    p.add_argument("--no-circuit", action="store_true", help="skip circuit theory (current, pinch points, barriers)")
    p.add_argument("--regions", choices=("pair", "all"), default="pair",
                   help="short-circuit a source only in its own pairs' solves (default, Circuitscape) "
                        "or every source in every solve (a different model)")
    p.add_argument("--mode", choices=("pairwise", "one-to-all", "all-to-one", "advanced"), default="pairwise",
                   help="Circuitscape mode of the current map: 1 A per link (default), each source "
                        "against all the others, or --sources to --grounds (see docs/corridors.md)")
    p.add_argument("--sources", type=_path, default=None, metavar="S.tif",
                   help="--mode advanced: current sources in amperes (any CRS; summed onto the grid)")
    p.add_argument("--grounds", type=_path, default=None, metavar="G.tif",
                   help="--mode advanced: conductances to ground (summed onto the grid)")
    p.add_argument("--grounds-are-resistances", action="store_true",
                   help="--grounds holds resistances to ground (0 = tied directly to ground)")
    p.add_argument("--max-euclid", type=float, default=None, metavar="M",
                   help="Linkage Mapper: no new link between patches farther apart than M metres (edge to edge)")
    p.add_argument("--nearest", type=int, default=None, metavar="N",
                   help="Linkage Mapper: new links only to each patch's N nearest neighbours (see --nearest-by)")
    p.add_argument("--nearest-by", choices=("cwd", "euclid"), default="cwd",
                   help="distance of --nearest: least-cost (default) or Euclidean")
    p.add_argument("--centrality", action="store_true",
                   help="Linkage Mapper's Centrality Mapper: current-flow centrality of links and patches "
                        "(cf_current, cf_central; core_centrality.csv)")
    p.add_argument("--pinchpoint-cutoff", type=float, default=None, metavar="COST",
                   help="Linkage Mapper's Pinchpoint Mapper: a circuit per link in its corridor truncated at "
                        "COST cost units (pinchpoints.tif; pp_eff_resistance, cwd_to_eff_resistance); "
                        "pinch_points.geojson then holds its per-link pinch-point polygons")
    p.add_argument("--square-resistance", action="store_true",
                   help="with --pinchpoint-cutoff: Pinchpoint Mapper's circuits on the squared resistances "
                        "(Linkage Mapper's 'Square resistance values'); the corridors keep the resistances")
    p.add_argument("--allow-partial", action="store_true",
                   help="model land cover that leaves part of the area or a patch without data (listed in the summary)")
    p.add_argument("--barrier-shape", choices=("annulus", "disc"), default="annulus",
                   help="Barrier Mapper minima over Linkage Mapper's ring (default) or the whole disc")
    p.add_argument("--barrier-combine", choices=("max", "sum"), default="max",
                   help="barriers raster: largest score over the links (default) or their sum")
    p.add_argument("--out", type=_out_folder, default="outputs/corridors", metavar="DIR",
                   help="output folder (default: outputs/corridors)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, metavar="N",
                       help="per-source cost-distance and per-pair circuit solves on a dask.distributed "
                            "LocalCluster of N processes (the serial run's bits)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="per-source cost-distance and per-pair circuit solves on a running Dask cluster "
                            "(tcp://host:8786)")


def _run_corridors(args) -> int:
    from .._errors import InputError
    from ..corridors import model_corridors, write_corridor_outputs
    from ..network import load_network

    if args.landcover is not None and args.reclass is None:
        raise InputError("--landcover needs --reclass TABLE.toml (land-cover code = resistance)")
    if args.reclass is not None and args.landcover is None:
        raise InputError("--reclass needs --landcover FILE.tif")
    if not (math.isfinite(args.resolution) and 1.0 <= args.resolution <= 10_000.0):
        raise InputError(f"--resolution {args.resolution:g}: give a cell size of 1 to 10000 metres")
    if args.mode == "advanced" and (args.sources is None or args.grounds is None):
        raise InputError("--mode advanced needs --sources S.tif and --grounds G.tif (current sources and grounds)")
    if args.mode != "advanced" and (args.sources is not None or args.grounds is not None):
        raise InputError("--sources and --grounds go with --mode advanced only")
    model = model_corridors(
        load_network(args.data), resolution=args.resolution, extent=args.extent, table=args.resistance,
        landcover=args.landcover, reclass=args.reclass, width=args.width, max_cost=args.max_cost,
        neighbours=args.neighbours, circuit=not args.no_circuit, progress=sys.stderr.isatty(),
        regions=args.regions, mode=args.mode, barrier_shape=args.barrier_shape,
        barrier_combine=args.barrier_combine, allow_partial=args.allow_partial, max_euclid=args.max_euclid,
        nearest=args.nearest, nearest_by=args.nearest_by, sources_raster=args.sources,
        grounds_raster=args.grounds, grounds_are_resistances=args.grounds_are_resistances,
        dem=args.dem, roads=_roads(args.roads),
        centrality=args.centrality, pinchpoint_cutoff=args.pinchpoint_cutoff,
        squared_resistance=args.square_resistance,
        workers=args.workers, scheduler=args.scheduler,
    )
    written, _ = write_corridor_outputs(model, args.out)
    g = model.grid
    print(f"grid {g.width} x {g.height} cells of {g.cellsize:g} m (EPSG:4547); {len(model.sources)} source patches")
    if len(model.paths):
        cols = ["from_id", "to_id", "cwd", "euclid_m", "ratio", "planned"]
        cols += [c for c in ("eff_resistance", "cf_current", "pp_eff_resistance", "cwd_to_eff_resistance")
                 if c in model.paths]
        print("least-cost paths (cwd in cost units, not metres):")
        print(model.paths[cols].to_string(float_format=lambda v: f"{v:,.1f}"))
    if len(model.comparison):
        print("drawn corridors against the model (overlap = share of the footprint inside the modelled corridor):")
        print(model.comparison[["from_id", "to_id", "overlap", "modelled_cwd", "cost_ratio"]]
              .to_string(float_format=lambda v: f"{v:,.2f}"))
    if model.notes.get("factors"):
        print(f"resistance from factors: {model.notes['factors']['formula']}")
    lacking = model.missing_links
    print(f"links the plan lacks: {', '.join(lacking.index) if len(lacking) else 'none'}")
    print(f"pinch points: {len(model.pinch_points)}"
          + (f" ({model.notes['pinch_points_method']})" if model.notes.get("pinch_points_method") else ""))
    print(f"wrote {len(written)} files to {args.out}")
    return 0


# --- sources -----------------------------------------------------------------------------
def _add_sources(sub) -> None:
    p = sub.add_parser("sources", help="ecological sources: MSPA on land cover, cores ranked by dPC -> a patches layer")
    _data_arg(p)
    p.add_argument("--landcover", type=_path, required=True, metavar="FILE.tif", help="land-cover GeoTIFF (any CRS)")
    p.add_argument("--resolution", type=float, default=30.0, metavar="M", help="cell size in metres (default 30)")
    _mspa_args(p)
    p.add_argument("--dispersal", type=float, default=2000.0, metavar="M", help="dPC median dispersal (metres)")
    p.add_argument("--out", type=_out_folder, default="outputs/sources", metavar="DIR", help="output folder")


def _run_sources(args) -> int:
    from ..corridors.sources import sources_from_landcover
    from ..network import load_network

    run = sources_from_landcover(load_network(args.data), args.landcover, args.out, resolution=args.resolution,
                                 median_dispersal=args.dispersal, **_mspa_options(args))
    print(run.classes.to_string(float_format=lambda v: f"{v:,.2f}"))
    print(run.sources[["source", "area_ha", "dpc", "rank"]].head(20).to_string(float_format=lambda v: f"{v:,.2f}"))
    print(f"{len(run.sources)} sources; wrote {len(run.written)} files to {args.out} "
          f"(run the chain on them: ecomap corridors --data {args.out / 'data'})")
    return 0


# --- omniscape ---------------------------------------------------------------------------
def _add_omniscape(sub) -> None:
    p = sub.add_parser("omniscape", help="moving-window current (Omniscape.jl's algorithm) on a resistance raster")
    p.add_argument("resistance", type=_path, metavar="RESISTANCE.tif", help="resistance raster (GeoTIFF or .asc)")
    p.add_argument("--radius", type=int, required=True, metavar="CELLS", help="window radius in CELLS, not metres")
    p.add_argument("--block-size", type=int, default=1, metavar="CELLS", help="target block side (odd; default 1)")
    p.add_argument("--buffer", type=int, default=0, metavar="CELLS", help="cells added to the circuit's radius")
    p.add_argument("--source", type=_path, default=None, metavar="FILE.tif", help="source strength (default: 1/resistance)")
    p.add_argument("--source-threshold", type=float, default=0.0, help="strengths below this are 0 (with --source)")
    p.add_argument("--r-cutoff", type=float, default=math.inf, help="no source where resistance exceeds this")
    p.add_argument("--neighbours", type=int, choices=(4, 8), default=8, help="circuit neighbourhood (default 8)")
    p.add_argument("--no-correction", action="store_true", help="skip the block-artifact correction")
    p.add_argument("--out", type=_out_folder, default="outputs/omniscape", metavar="DIR", help="output folder")
    p.add_argument("--tile-size", type=int, default=256, metavar="CELLS",
                   help="side of a tile (one task) in cells (default 256); fixes the summation order")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, metavar="N",
                       help="run the tiles on a dask.distributed LocalCluster of N processes")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run the tiles on a running Dask cluster (tcp://host:8786; workers must see the files)")


def _run_omniscape(args) -> int:
    from .._errors import InputError
    from ..corridors import run_omniscape_files

    for option, value, least in (("--radius", args.radius, 1), ("--block-size", args.block_size, 1),
                                 ("--buffer", args.buffer, 0)):
        if value < least:
            raise InputError(f"{option} {value}: give a whole number of cells >= {least}")

    written = run_omniscape_files(
        args.resistance, args.out, source=args.source, radius=args.radius, block_size=args.block_size,
        buffer=args.buffer, source_threshold=args.source_threshold, r_cutoff=args.r_cutoff,
        neighbours=args.neighbours, correct_artifacts=not args.no_correction, tile_size=args.tile_size,
        workers=args.workers, scheduler=args.scheduler)
    print("\n".join(f"wrote {p}" for p in written))
    return 0


# --- connectivity ------------------------------------------------------------------------
def _add_connectivity(sub) -> None:
    p = sub.add_parser("connectivity", help="graph indices (IIC, PC, alpha/beta/gamma), corridor importance, gaps")
    _data_arg(p)
    p.add_argument("--median-dispersal", type=float, default=None, metavar="M",
                   help="distance (m) at which a link's dispersal probability is 0.5 (default 2000)")
    p.add_argument("--links", choices=("corridors", "distance"), default="corridors",
                   help="links = the corridors (default), or every patch pair within --threshold")
    p.add_argument("--threshold", type=float, default=None, metavar="M",
                   help="edge-to-edge link distance in metres for --links distance")
    p.add_argument("--landscape-area", type=float, default=None, metavar="KM2",
                   help="landscape area A_L in km2 (default: the area of boundary, districts and patches together)")
    p.add_argument("--cover-distance", type=float, default=100.0, metavar="M",
                   help="a bridge site or tunnel this near a barrier crossing covers it (default 100)")
    p.add_argument("--remove", default=None, metavar="IDS",
                   help="scenario: comma-separated corridor or patch ids to take out, e.g. C07,C12")
    p.add_argument("--add", type=_path, default=None, metavar="FILE",
                   help="scenario: GeoJSON of planned corridors (LineString) or patches (Polygon)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")


def _run_connectivity(args) -> int:
    import json

    from .._errors import InputError
    from ..connectivity import DEFAULT_MEDIAN_DISPERSAL_M, analyse, read_addition, scenario
    from ..network import load_network
    from ..report import connectivity_text, scenario_text

    if args.threshold is not None and args.links != "distance":
        raise InputError(f"--threshold {args.threshold:g} applies to --links distance only; the links are "
                         "the corridors here (add --links distance, or leave --threshold out)")
    opts = {
        "median_dispersal": DEFAULT_MEDIAN_DISPERSAL_M if args.median_dispersal is None else args.median_dispersal,
        "links": args.links, "threshold": args.threshold, "landscape_area_km2": args.landscape_area,
        "cover_distance_m": args.cover_distance,
    }
    addition = read_addition(args.add) if args.add is not None else None  # a bad file fails before any work
    network = load_network(args.data)
    if args.remove is not None or args.add is not None:
        remove = args.remove.split(",") if args.remove else []
        sc = scenario(network, remove=remove, add=addition, **opts)
        print(json.dumps(sc.to_dict(), ensure_ascii=False, indent=2) if args.json else scenario_text(sc))
        return 0
    result = analyse(network, **opts)
    print(result.to_json() if args.json else connectivity_text(result))
    return 0
