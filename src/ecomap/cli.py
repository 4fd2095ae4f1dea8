"""The ``ecomap`` command: a thin shell that parses options, calls the Python API and prints.

Each sub-command has an ``_add_<name>`` function that declares its options and a
``_run_<name>`` function that calls the API. Task modules are imported inside the run
functions so that ``ecomap --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from pathlib import Path

from . import __version__
from ._errors import DataError, EcomapError, InputError

__all__ = ["main", "parser"]

log = logging.getLogger("ecomap")


def _check_out_file(out: Path) -> None:
    """Refuse an ``--out`` that cannot be a file: empty, a folder, or under a file."""
    if str(out) in {"", "."} or out.is_dir():
        raise InputError(f"--out {str(out)!r}: give a file name, not a folder")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"--out {out}: {parent} is a file, not a folder")


def _data_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=None, metavar="DIR",
                   help="data folder of <layer>.geojson files (default: the bundled Pingshan data)")


# --- build -------------------------------------------------------------------------------
def _add_build(sub) -> None:
    p = sub.add_parser("build", help="all layers -> outputs/: web maps, GeoJSON layers, connectivity report")
    _data_arg(p)
    p.add_argument("--out", type=Path, default=Path("outputs"), metavar="DIR", help="output folder (default: outputs)")
    p.add_argument("--screenshots", action="store_true",
                   help="also save a PNG screenshot of each map with headless Chromium")


def _run_build(args) -> int:
    from .build import build

    ctx = build(args.data, args.out, options={"screenshots": args.screenshots})
    print(f"wrote {len(ctx.written)} files to {args.out}")
    return 0


# --- validate ----------------------------------------------------------------------------
def _add_validate(sub) -> None:
    p = sub.add_parser("validate", help="check every layer; exit 2 on any problem")
    _data_arg(p)


def _run_validate(args) -> int:
    from .io import default_data_dir
    from .network import validate_data

    data = args.data or default_data_dir()
    problems = validate_data(data)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) in {data}", file=sys.stderr)
        return 2
    print(f"{data}: every layer passes")
    return 0


# --- layers ------------------------------------------------------------------------------
def _add_layers(sub) -> None:
    p = sub.add_parser("layers", help="list layers: count, geometry type, bbox, length or area")
    _data_arg(p)


def _run_layers(args) -> int:
    from .network import layer_summary, load_network

    table = layer_summary(load_network(args.data))
    table["total"] = [f"{t:,.2f} {u}" if u else "" for t, u in zip(table["total"], table["unit"], strict=True)]
    print(table.drop(columns="unit").to_string())
    return 0


# --- import ------------------------------------------------------------------------------
def _add_import(sub) -> None:
    p = sub.add_parser("import", help="OpenStreetMap extracts and GIS files -> an ecomap data folder")
    isub = p.add_subparsers(dest="import_source", metavar="SOURCE", required=True)
    o = isub.add_parser("osm", help="an OSM extract (.osm.pbf or .osm), clipped to a boundary (ODbL)")
    o.add_argument("file", type=Path, metavar="FILE", help="the OSM extract")
    where = o.add_mutually_exclusive_group(required=True)
    where.add_argument("--boundary", type=Path, metavar="FILE", help="polygon file of the study area")
    where.add_argument("--bbox", metavar="W,S,E,N", help="study area as minlon,minlat,maxlon,maxlat (WGS-84)")
    o.add_argument("--boundary-crs", metavar="CRS", help="CRS of the boundary file if it has none or a wrong one")
    o.add_argument("--adcode", metavar="CODE", help="administrative code of the boundary (default: from the file)")
    o.add_argument("--margin", type=float, default=0.05, metavar="DEG",
                   help="read ways with a node this close to the boundary's bbox (default 0.05 degrees)")
    o.add_argument("--out", type=Path, required=True, metavar="DIR", help="data folder to create")
    o.add_argument("--overwrite", action="store_true", help="replace DIR if it exists and is not empty")
    f = isub.add_parser("file", help="any GIS file (Shapefile, GeoPackage, GeoJSON, ...) -> one layer")
    f.add_argument("layer", metavar="LAYER", help="the ecomap layer, e.g. corridors, patches, bridges")
    f.add_argument("file", type=Path, metavar="FILE", help="the GIS file")
    f.add_argument("--crs", metavar="CRS", help="EPSG:nnnn, wgs84, gcj02 (AMap) or bd09 (Baidu) (default: the file's own)")
    f.add_argument("--encoding", metavar="ENC", help="text encoding of a Shapefile's DBF: gbk, big5, utf-8 (default: .cpg or detected)")
    f.add_argument("--make-valid", action="store_true", help="repair invalid geometries instead of refusing them")
    f.add_argument("--clip", action="store_true", help="cut features to the boundary of DIR (a city-wide file into a district)")
    f.add_argument("--set", metavar="COL=VALUE,...", help="constant columns, e.g. adcode=440310,kind=hiking")
    f.add_argument("--map", metavar="OLD=NEW,...", help="rename columns of the file to the layer's columns")
    f.add_argument("--source-layer", metavar="NAME",
                   help="one layer of a multi-layer file (default: every layer with the layer's geometry)")
    f.add_argument("--source", metavar="TEXT", help="value of `source` where the file has no such column")
    f.add_argument("--confidence", default="digitized", metavar="C",
                   help="value of `confidence` where the file has no such column (default: digitized)")
    f.add_argument("--out", type=Path, required=True, metavar="DIR", help="data folder to write the layer into")
    f.add_argument("--overwrite", action="store_true", help="replace the layer if DIR already has it")


def _run_import(args) -> int:
    from .importers import import_file, import_osm

    if args.import_source == "osm":
        result = import_osm(args.file, args.out, boundary=args.boundary, bbox=args.bbox,
                            boundary_crs=args.boundary_crs, adcode=args.adcode, margin_deg=args.margin,
                            overwrite=args.overwrite, progress=sys.stderr.isatty())
    else:
        result = import_file(args.layer, args.file, args.out, crs=args.crs, mapping=args.map,
                             source_layer=args.source_layer, source=args.source,
                             confidence=args.confidence, overwrite=args.overwrite, encoding=args.encoding,
                             make_valid=args.make_valid, clip=args.clip, set_values=args.set)
    for note in result.notes:
        print(f"{args.file}: {note}")
    for name, n in result.counts.items():
        print(f"{name:<12} {n:>7} features" + ("" if n else " (no file written)"))
    note = " (OpenStreetMap layers: ODbL, see README.md)" if args.import_source == "osm" else ""
    print(f"wrote {result.out_dir}{note}")
    return 0


# --- query -------------------------------------------------------------------------------
def _add_query(sub) -> None:
    p = sub.add_parser(
        "query", help="spatial questions: near a point, in a box or shape, inside a feature, nearest N, filters",
        description="Every condition given must hold. Distances are metres (EPSG:4547). "
                    "Example: ecomap query bridges --within corridors:C07 --where \"status == 'built'\"")
    p.add_argument("layer", metavar="LAYER", help="the layer to search, e.g. bridges, trails")
    _data_arg(p)
    p.add_argument("--near", metavar="LON,LAT", help="features within --radius of this point")
    p.add_argument("--radius", type=float, metavar="M", help="search radius in metres (with --near)")
    p.add_argument("--bbox", metavar="MINLON,MINLAT,MAXLON,MAXLAT", help="features intersecting this box")
    p.add_argument("--intersects", metavar="WKT|FILE", help="features intersecting a WKT geometry or a GeoJSON file")
    p.add_argument("--within", metavar="LAYER:ID",
                   help="features inside a polygon or a corridor's footprint (lines are clipped), e.g. corridors:C07")
    p.add_argument("--nearest", type=int, metavar="N", help="the N features closest to --to")
    p.add_argument("--to", metavar="LON,LAT", help="the point for --nearest")
    p.add_argument("--where", metavar="EXPR",
                   help="attribute filter, e.g. \"status == 'built' and host in ['well', 'pool']\"")
    p.add_argument("--input-crs", default="wgs84", choices=["wgs84", "gcj02"],
                   help="datum of the coordinates given here (gcj02: copied from a Chinese map app)")
    p.add_argument("--format", default="table", choices=["table", "geojson", "csv", "json"])
    p.add_argument("--out", type=Path, metavar="FILE", help="write the answer to FILE instead of printing it")


def _run_query(args) -> int:
    from .io import write_text
    from .layers import CATALOGUE
    from .network import load_network
    from .query import format_result, parse_bbox, parse_lonlat, parse_where, query

    if args.layer not in CATALOGUE:
        raise InputError(f"unknown layer {args.layer!r}; layers are: {', '.join(CATALOGUE)}")
    where = parse_where(args.where, layer=args.layer) if args.where is not None else None  # fail before loading
    near = parse_lonlat(args.near, option="--near") if args.near else None
    to = parse_lonlat(args.to, option="--to") if args.to else None
    bbox = parse_bbox(args.bbox) if args.bbox else None
    result = query(load_network(args.data), args.layer, near=near, radius_m=args.radius, bbox=bbox,
                   intersects=args.intersects, within=args.within, nearest=args.nearest, to=to,
                   where=where, input_crs=args.input_crs)
    text = format_result(result, args.layer, fmt=args.format)
    if args.out is not None:
        _check_out_file(args.out)
        write_text(args.out, text)
        print(f"{len(result)} {args.layer} feature(s) -> {args.out}")
    else:
        sys.stdout.write(text)
    return 0


# --- export ------------------------------------------------------------------------------
def _add_export(sub) -> None:
    p = sub.add_parser("export", help="layers as GeoJSON, GeoPackage, FlatGeobuf, GeoParquet, Shapefile, KML, CSV")
    _data_arg(p)
    p.add_argument("--layers", nargs="+", metavar="LAYER", help="layers to export (default: every non-empty one)")
    p.add_argument("--format", default="geojson", choices=["geojson", "gpkg", "fgb", "parquet", "shp", "kml", "csv"])
    p.add_argument("--crs", default="EPSG:4326", metavar="CRS",
                   help="EPSG:4326 (default), EPSG:4547, gcj02 (only for Chinese map apps; the files say so) "
                        "or any EPSG code")
    p.add_argument("--out", type=Path, required=True, metavar="DIR|FILE",
                   help="a folder (one file per layer; ecomap.gpkg for gpkg) or a file with the format's suffix")
    p.add_argument("--results", action="store_true",
                   help="also the connectivity analysis: gaps (points) and corridor_ranking (lines with dPC, rank)")


def _run_export(args) -> int:
    from .export import export_network
    from .network import load_network

    written = export_network(load_network(args.data), args.out, fmt=args.format, layers=args.layers, crs=args.crs,
                             results=args.results)
    for path in written:
        print(path)
    print(f"wrote {len(written)} file(s)")
    return 0


# --- corridors ---------------------------------------------------------------------------
def _add_corridors(sub) -> None:
    p = sub.add_parser("corridors", help="least-cost corridors and circuit-theory pinch points on a resistance surface")
    _data_arg(p)
    p.add_argument("--resolution", type=float, default=30.0, metavar="M", help="cell size in metres (default 30)")
    p.add_argument("--extent", choices=("district", "city"), default="district",
                   help="raster over the district boundary (default) or the city's districts")
    p.add_argument("--resistance", type=Path, default=None, metavar="TABLE.toml",
                   help="resistance table (default: the shipped one; see docs/corridors.md)")
    p.add_argument("--landcover", type=Path, default=None, metavar="FILE.tif",
                   help="land-cover GeoTIFF for the base surface (any CRS; needs --reclass)")
    p.add_argument("--reclass", type=Path, default=None, metavar="TABLE.toml",
                   help="land-cover code -> resistance table for --landcover")
    p.add_argument("--width", type=float, default=20000.0, metavar="COST",
                   help="corridor truncation width in COST UNITS, not metres (default 20000)")
    p.add_argument("--max-cost", type=float, default=None, metavar="COST",
                   help="least-cost distance up to which links the plan lacks are listed (default: the costliest drawn link)")
    p.add_argument("--neighbours", type=int, choices=(4, 8), default=8,
                   help="cells joined to 8 neighbours (default) or 4, for cost-distance and circuits")
    p.add_argument("--no-circuit", action="store_true", help="skip circuit theory (current, pinch points, barriers)")
    p.add_argument("--regions", choices=("pair", "all"), default="pair",
                   help="short-circuit a source only in its own pairs' solves (default, Circuitscape) "
                        "or every source in every solve (a different model)")
    p.add_argument("--mode", choices=("pairwise", "one-to-all", "all-to-one"), default="pairwise",
                   help="Circuitscape mode of the current map: 1 A per link (default), or each source "
                        "against all the others (see docs/corridors.md)")
    p.add_argument("--max-euclid", type=float, default=None, metavar="M",
                   help="Linkage Mapper: no new link between patches farther apart than M metres (edge to edge)")
    p.add_argument("--nearest", type=int, default=None, metavar="N",
                   help="Linkage Mapper: new links only to each patch's N nearest neighbours (see --nearest-by)")
    p.add_argument("--nearest-by", choices=("cwd", "euclid"), default="cwd",
                   help="distance of --nearest: least-cost (default) or Euclidean")
    p.add_argument("--allow-partial", action="store_true",
                   help="model land cover that leaves part of the area or a patch without data (listed in the summary)")
    p.add_argument("--barrier-shape", choices=("annulus", "disc"), default="annulus",
                   help="Barrier Mapper minima over Linkage Mapper's ring (default) or the whole disc")
    p.add_argument("--barrier-combine", choices=("max", "sum"), default="max",
                   help="barriers raster: largest score over the links (default) or their sum")
    p.add_argument("--out", type=Path, default=Path("outputs/corridors"), metavar="DIR",
                   help="output folder (default: outputs/corridors)")


def _run_corridors(args) -> int:
    from .corridors import model_corridors, write_corridor_outputs
    from .network import load_network

    if args.landcover is not None and args.reclass is None:
        raise InputError("--landcover needs --reclass TABLE.toml (land-cover code = resistance)")
    if args.reclass is not None and args.landcover is None:
        raise InputError("--reclass needs --landcover FILE.tif")
    if not (math.isfinite(args.resolution) and 1.0 <= args.resolution <= 10_000.0):
        raise InputError(f"--resolution {args.resolution:g}: give a cell size of 1 to 10000 metres")
    model = model_corridors(
        load_network(args.data), resolution=args.resolution, extent=args.extent, table=args.resistance,
        landcover=args.landcover, reclass=args.reclass, width=args.width, max_cost=args.max_cost,
        neighbours=args.neighbours, circuit=not args.no_circuit, progress=sys.stderr.isatty(),
        regions=args.regions, mode=args.mode, barrier_shape=args.barrier_shape,
        barrier_combine=args.barrier_combine, allow_partial=args.allow_partial, max_euclid=args.max_euclid,
        nearest=args.nearest, nearest_by=args.nearest_by,
    )
    written, _ = write_corridor_outputs(model, args.out)
    g = model.grid
    print(f"grid {g.width} x {g.height} cells of {g.cellsize:g} m (EPSG:4547); {len(model.sources)} source patches")
    if len(model.paths):
        cols = ["from_id", "to_id", "cwd", "euclid_m", "ratio", "planned"]
        if "eff_resistance" in model.paths:
            cols.append("eff_resistance")
        print("least-cost paths (cwd in cost units, not metres):")
        print(model.paths[cols].to_string(float_format=lambda v: f"{v:,.1f}"))
    if len(model.comparison):
        print("drawn corridors against the model (overlap = share of the footprint inside the modelled corridor):")
        print(model.comparison[["from_id", "to_id", "overlap", "modelled_cwd", "cost_ratio"]]
              .to_string(float_format=lambda v: f"{v:,.2f}"))
    lacking = model.missing_links
    print(f"links the plan lacks: {', '.join(lacking.index) if len(lacking) else 'none'}")
    print(f"pinch points: {len(model.pinch_points)}")
    print(f"wrote {len(written)} files to {args.out}")
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
    p.add_argument("--add", type=Path, default=None, metavar="FILE",
                   help="scenario: GeoJSON of planned corridors (LineString) or patches (Polygon)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")


def _run_connectivity(args) -> int:
    from .connectivity import DEFAULT_MEDIAN_DISPERSAL_M, analyse, scenario
    from .network import load_network
    from .report import connectivity_text, scenario_text

    opts = {
        "median_dispersal": DEFAULT_MEDIAN_DISPERSAL_M if args.median_dispersal is None else args.median_dispersal,
        "links": args.links, "threshold": args.threshold, "landscape_area_km2": args.landscape_area,
        "cover_distance_m": args.cover_distance,
    }
    network = load_network(args.data)
    if args.remove is not None or args.add is not None:
        remove = args.remove.split(",") if args.remove else []
        sc = scenario(network, remove=remove, add=args.add, **opts)
        print(json.dumps(sc.to_dict(), ensure_ascii=False, indent=2) if args.json else scenario_text(sc))
        return 0
    result = analyse(network, **opts)
    print(result.to_json() if args.json else connectivity_text(result))
    return 0


# --- map ---------------------------------------------------------------------------------
def _add_map(sub) -> None:
    p = sub.add_parser("map", help="one self-contained web map with chosen layers and basemap")
    _data_arg(p)
    p.add_argument("--basemap", default="osm", metavar="NAME",
                   help="osm, light, imagery, gaode (GCJ-02), tianditu (key in $ECOMAP_TIANDITU_KEY) or none")
    p.add_argument("--layers", default=None, metavar="A,B,...",
                   help="comma-separated layers to draw (default: every layer, and gaps)")
    p.add_argument("--out", type=Path, default=Path("map.html"), metavar="FILE", help="HTML file (default: map.html)")
    p.add_argument("--title", default="坪山生态网络 Pingshan ecological network", help="title of the page")
    p.add_argument("--no-analysis", action="store_true",
                   help="skip the connectivity analysis that adds importance (dPC rank) and gaps to the map")


def _run_map(args) -> int:
    from .network import load_network
    from .webmap import atlas, basemap, save_map

    basemap(args.basemap)  # a bad name or a missing key fails before any data are read
    layers = args.layers.split(",") if args.layers is not None else None
    net = load_network(args.data)
    result = None
    if not args.no_analysis and len(net.patches) and len(net.corridors):
        from .connectivity import analyse

        result = analyse(net)
    m = atlas(net, basemap=args.basemap, layers=layers, title=args.title, connectivity=result)
    path = save_map(m, args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


# --- bridges -----------------------------------------------------------------------------
def _add_bridges(sub) -> None:
    p = sub.add_parser("bridges", help="the escape-bridge site register (Ten Thousand Bridge Plan)")
    bsub = p.add_subparsers(dest="bridges_command", metavar="ACTION", required=True)
    s = bsub.add_parser("synth", help="a synthetic, seeded register of N sites placed on ditches, "
                                      "reservoir roads, culverts, wells and pools (for tests and benchmarks)")
    _data_arg(s)
    s.add_argument("--n", type=int, required=True, metavar="N", help="number of sites")
    s.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    s.add_argument("--min-spacing", type=float, default=10.0, metavar="M",
                   help="least distance in metres between two sites (default 10; 0 places them independently)")
    s.add_argument("--out", type=Path, required=True, metavar="FILE", help="GeoJSON file to write")
    _add_bridges_register(bsub)


def _run_bridges(args) -> int:
    return _BRIDGES_ACTIONS[args.bridges_command](args)


def _run_bridges_synth(args) -> int:
    from .bridges import synthesize
    from .io import write_geojson
    from .network import load_network

    if args.out.suffix.lower() not in {".geojson", ".json"}:
        raise InputError(f"{args.out}: --out must be a .geojson file")
    sites = synthesize(load_network(args.data), args.n, seed=args.seed, min_spacing_m=args.min_spacing)
    write_geojson(sites, args.out)
    print(f"wrote {len(sites)} synthetic bridge sites to {args.out}")
    return 0


def _add_bridges_register(bsub) -> None:
    i = bsub.add_parser("import", help="add a field survey (CSV or GeoJSON) to the register, all or nothing")
    i.add_argument("file", type=Path, metavar="FILE",
                   help="CSV with lon,lat (or longitude,latitude / x,y / 经度,纬度) columns, or GeoJSON points")
    i.add_argument("--crs", default="wgs84", choices=["wgs84", "gcj02"],
                   help="datum of the file's coordinates: wgs84 (phone GPS) or gcj02 (a Chinese map app)")
    i.add_argument("--encoding", metavar="ENC", help="text encoding of a CSV: gbk, big5, utf-8, utf-16 (default: detected)")
    _data_arg(i)
    i.add_argument("--dry-run", action="store_true", help="report what would happen; write nothing")
    ls = bsub.add_parser("list", help="register sites, by status and inside a polygon or corridor")
    _data_arg(ls)
    ls.add_argument("--status", nargs="+", metavar="STATUS", help="only these statuses (planned built damaged removed)")
    ls.add_argument("--within", metavar="LAYER:ID", help="only sites inside this feature, e.g. corridors:C07")
    ls.add_argument("--format", default="table", choices=["table", "geojson", "csv", "json"])
    st = bsub.add_parser("stats", help="counts by status, host, material, subdistrict or corridor")
    _data_arg(st)
    st.add_argument("--by", nargs="+", default=None, metavar="KEY",
                    choices=["status", "host", "material", "subdistrict", "corridor"],
                    help="status host material subdistrict corridor (default: all)")
    st.add_argument("--json", action="store_true", help="print one JSON object")


def _run_bridges_import(args) -> int:
    from .bridges import import_sites

    report = import_sites(args.file, data_dir=args.data, crs=args.crs, dry_run=args.dry_run, encoding=args.encoding)
    for line in report.lines():
        print(line)
    return 2 if report.rejected else 0


def _run_bridges_list(args) -> int:
    from .bridges import list_sites
    from .network import load_network
    from .query import format_result

    sites = list_sites(load_network(args.data), status=args.status, within=args.within)
    sys.stdout.write(format_result(sites, "bridges", fmt=args.format))
    return 0


def _run_bridges_stats(args) -> int:
    import json

    from .bridges import STATS_BY, site_stats
    from .network import load_network

    network = load_network(args.data)
    tables = {by: site_stats(network, by=by) for by in (args.by or STATS_BY)}
    if args.json:
        print(json.dumps({by: json.loads(t.to_json(orient="index")) for by, t in tables.items()},
                         ensure_ascii=False, indent=1))
        return 0
    print(f"{len(network.bridges)} sites in {network.data_dir}")
    for by, t in tables.items():
        shown = t.copy()
        shown["share"] = shown["share"].map(lambda v: f"{v:.1%}")
        sub_note = (" (OSM subdistrict polygons; a site outside all counts in the nearest)"
                    if len(network.subdistricts) else " (nearest of six approximate centres; indicative)")
        note = sub_note if by == "subdistrict" else \
            " (inside the footprint; a site may count in two)" if by == "corridor" else ""
        print(f"\nby {by}{note}\n{shown.to_string()}")
    return 0


#: ``ecomap bridges ACTION`` -> its run function.
_BRIDGES_ACTIONS = {"synth": _run_bridges_synth, "import": _run_bridges_import,
                    "list": _run_bridges_list, "stats": _run_bridges_stats}


COMMANDS = {
    "build": (_add_build, _run_build),
    "validate": (_add_validate, _run_validate),
    "layers": (_add_layers, _run_layers),
    "import": (_add_import, _run_import),
    "query": (_add_query, _run_query),
    "export": (_add_export, _run_export),
    "corridors": (_add_corridors, _run_corridors),
    "connectivity": (_add_connectivity, _run_connectivity),
    "map": (_add_map, _run_map),
    "bridges": (_add_bridges, _run_bridges),
}


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``ecomap``."""
    p = argparse.ArgumentParser(
        prog="ecomap",
        description="The ecological network of Pingshan District, Shenzhen: layers, connectivity, queries, maps.",
    )
    p.add_argument("--version", action="version", version=f"ecomap {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log progress (-vv for debug)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add, _ in COMMANDS.values():
        add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run ``ecomap``; returns the exit code (0 ok, 2 bad input, 1 anything else)."""
    args = parser().parse_args(argv)
    level = logging.WARNING if args.verbose == 0 else logging.INFO if args.verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return COMMANDS[args.command][1](args)
    except DataError as exc:
        for p in exc.problems:
            print(f"ecomap: {p}", file=sys.stderr)
        return exc.exit_code
    except (InputError, EcomapError) as exc:
        print(f"ecomap: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ecomap: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # an ecomap bug: one line, the traceback with -v
        if args.verbose:
            raise
        print(f"ecomap: internal error: {type(exc).__name__}: {exc} (run with -v for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
