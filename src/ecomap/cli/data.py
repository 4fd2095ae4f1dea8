"""Commands on the data itself: build, validate, layers, import, export, db."""

from __future__ import annotations

import sys

from .options import _data_arg, _factor_args, _mspa_args, _mspa_options, _out_folder, _path, _roads


# --- build -------------------------------------------------------------------------------
def _add_build(sub) -> None:
    p = sub.add_parser("build", help="all layers -> outputs/: web maps, GeoJSON layers, connectivity report")
    _data_arg(p)
    p.add_argument("--out", type=_out_folder, default="outputs", metavar="DIR", help="output folder (default: outputs)")
    p.add_argument("--screenshots", action="store_true",
                   help="also save a PNG screenshot of each map with headless Chromium")
    c = p.add_argument_group("the chain from land cover (sources -> resistance -> corridors -> report)")
    c.add_argument("--landcover", type=_path, metavar="FILE.tif",
                   help="land-cover GeoTIFF: MSPA cores become the patches every later step runs on")
    c.add_argument("--reclass", type=_path, metavar="TABLE.toml",
                   help="land-cover code = resistance (default: the shipped WorldCover table)")
    c.add_argument("--resolution", type=float, default=30.0, metavar="M", help="cell size in metres (default 30)")
    _mspa_args(c)
    _factor_args(p.add_argument_group("resistance from several factors (weights in the table's [factors])"))


def _run_build(args) -> int:
    from .._errors import InputError
    from ..build import build

    if args.landcover is None and args.reclass is not None:
        raise InputError("--reclass needs --landcover FILE.tif")
    options = {"screenshots": args.screenshots, "corridors_resolution": args.resolution}
    if args.dem is not None or args.roads is not None:
        options.update(dem=args.dem, roads=_roads(args.roads))
    if args.landcover is not None:
        options.update(landcover=args.landcover, reclass=args.reclass, **_mspa_options(args))
    ctx = build(args.data, args.out, options=options)
    print(f"wrote {len(ctx.written)} files to {args.out}")
    return 0


# --- validate ----------------------------------------------------------------------------
def _add_validate(sub) -> None:
    p = sub.add_parser("validate", help="check every layer; exit 2 on any problem")
    _data_arg(p)


def _run_validate(args) -> int:
    from ..io import default_data_dir
    from ..network import validate_data

    data = args.data or default_data_dir()
    problems = validate_data(data)
    if isinstance(data, str):  # a database: its URL without the password
        from ..store import database

        data = database(data).label
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
    from ..network import layer_summary, load_network

    table = layer_summary(load_network(args.data))
    table["total"] = [f"{t:,.2f} {u}" if u else "" for t, u in zip(table["total"], table["unit"], strict=True)]
    print(table.drop(columns="unit").to_string())
    return 0


# --- import ------------------------------------------------------------------------------
def _add_import(sub) -> None:
    p = sub.add_parser("import", help="OpenStreetMap extracts and GIS files -> an ecomap data folder")
    isub = p.add_subparsers(dest="import_source", metavar="SOURCE", required=True)
    o = isub.add_parser("osm", help="an OSM extract (.osm.pbf or .osm), clipped to a boundary (ODbL)")
    o.add_argument("file", type=_path, metavar="FILE", help="the OSM extract")
    where = o.add_mutually_exclusive_group(required=True)
    where.add_argument("--boundary", type=_path, metavar="FILE", help="polygon file of the study area")
    where.add_argument("--bbox", metavar="W,S,E,N", help="study area as minlon,minlat,maxlon,maxlat (WGS-84)")
    o.add_argument("--boundary-crs", metavar="CRS", help="CRS of the boundary file if it has none or a wrong one")
    o.add_argument("--adcode", metavar="CODE", help="administrative code of the boundary (default: from the file)")
    o.add_argument("--margin", type=float, default=0.05, metavar="DEG",
                   help="read ways with a node this close to the boundary's bbox (default 0.05 degrees)")
    o.add_argument("--out", type=_path, required=True, metavar="DIR", help="data folder to create")
    o.add_argument("--overwrite", action="store_true", help="replace DIR if it exists and is not empty")
    f = isub.add_parser("file", help="any GIS file (Shapefile, GeoPackage, GeoJSON, ...) -> one layer")
    f.add_argument("layer", metavar="LAYER", help="the ecomap layer, e.g. corridors, patches, bridges")
    f.add_argument("file", type=_path, metavar="FILE", help="the GIS file")
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
    f.add_argument("--out", type=_path, required=True, metavar="DIR", help="data folder to write the layer into")
    f.add_argument("--overwrite", action="store_true", help="replace the layer if DIR already has it")


def _run_import(args) -> int:
    from pathlib import Path

    from ..importers import import_file, import_osm

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
    if not (Path(result.out_dir) / "boundary.geojson").exists():
        print(f"{result.out_dir} has no boundary yet, which every other command needs: "
              f"ecomap import file boundary FILE --out {result.out_dir}")
    elif args.import_source == "file":
        _say_folder_problems(result.out_dir)
    return 0


def _say_folder_problems(out_dir) -> None:
    """After an import, warn when the folder as a whole now breaks a rule (a corridor's patch gone)."""
    from ..network import validate_data

    problems = validate_data(out_dir)
    if problems:
        print(f"warning: {out_dir} now has {len(problems)} problem(s) with other layers, "
              f"e.g. {problems[0]}; see ecomap validate --data {out_dir}", file=sys.stderr)


# --- export ------------------------------------------------------------------------------
def _add_export(sub) -> None:
    p = sub.add_parser("export", help="layers as GeoJSON, GeoPackage, FlatGeobuf, GeoParquet, Shapefile, KML, CSV")
    _data_arg(p)
    p.add_argument("--layers", nargs="+", metavar="LAYER", help="layers to export (default: every non-empty one)")
    p.add_argument("--format", default=None, choices=["geojson", "gpkg", "fgb", "parquet", "shp", "kml", "kmz", "csv"],
                   help="default: the format --out's suffix names (.geojson .gpkg .fgb .parquet .shp .kml .kmz "
                        ".csv), else geojson")
    p.add_argument("--crs", default="EPSG:4326", metavar="CRS",
                   help="EPSG:4326 (default), EPSG:4547, gcj02 (only for Chinese map apps; the files say so) "
                        "or any EPSG code")
    p.add_argument("--out", type=_path, required=True, metavar="DIR|FILE",
                   help="a folder (one file per layer; ecomap.gpkg for gpkg) or a file with the format's suffix")
    p.add_argument("--results", action="store_true",
                   help="also the connectivity analysis: gaps (points) and corridor_ranking (lines with dPC, rank)")


def _run_export(args) -> int:
    from ..export import export_network
    from ..network import load_network

    only = args.layers if args.layers and not args.results else None  # read just those (and what checks need)
    written = export_network(load_network(args.data, layers=only), args.out, fmt=args.format, layers=args.layers,
                             crs=args.crs, results=args.results)
    for path in written:
        print(path)
    print(f"wrote {len(written)} file(s)")
    return 0


# --- db ----------------------------------------------------------------------------------
def _add_db(sub) -> None:
    p = sub.add_parser("db", help="PostGIS as the data store: create the tables, load a folder, dump one")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    i = dsub.add_parser("init", help="create the schema: one table per layer, constraints, GiST indexes")
    i.add_argument("--data", required=True, metavar="URL", help="postgresql://user@host/db?schema=NAME")
    lo = dsub.add_parser("load", help="replace the database's layers with a data folder's, in one transaction")
    lo.add_argument("folder", type=_path, metavar="FOLDER", help="data folder of <layer>.geojson files")
    lo.add_argument("--data", required=True, metavar="URL", help="postgresql://user@host/db?schema=NAME")
    d = dsub.add_parser("dump", help="write the database's layers as a data folder")
    d.add_argument("--data", required=True, metavar="URL", help="postgresql://user@host/db?schema=NAME")
    d.add_argument("--out", type=_out_folder, required=True, metavar="DIR", help="folder to write <layer>.geojson into")
    d.add_argument("--overwrite", action="store_true", help="replace layer files DIR already has")


def _run_db(args) -> int:
    from .. import store

    db = store.database(args.data)
    if args.db_command == "init":
        made = store.init_schema(db)
        print(f"{db.label}: created {len(made)} table(s)" + (f": {', '.join(made)}" if made else " (all existed)"))
    elif args.db_command == "load":
        from ..network import read_layers

        counts = store.write_layers(db, read_layers(args.folder))
        for name, n in counts.items():
            print(f"{name:<12} {n:>7} features")
        print(f"loaded {args.folder} into {db.label} (schema {db.schema})")
    else:
        written = store.dump_folder(db, args.out, overwrite=args.overwrite)
        for path in written:
            print(path)
        print(f"wrote {len(written)} layer file(s) to {args.out}")
    return 0
