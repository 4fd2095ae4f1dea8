"""Looking at the network: query and map."""

from __future__ import annotations

import sys

from .options import _check_out_file, _data_arg, _path


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
    p.add_argument("--input-crs", default="wgs84", choices=["wgs84", "gcj02", "bd09"],
                   help="datum of the coordinates given here (gcj02: copied from AMap/Gaode or Tencent; "
                        "bd09: copied from Baidu Maps)")
    p.add_argument("--format", default="table", choices=["table", "geojson", "csv", "json"])
    p.add_argument("--out", type=_path, metavar="FILE", help="write the answer to FILE instead of printing it")


def _run_query(args) -> int:
    from .._errors import InputError
    from ..io import write_text
    from ..layers import CATALOGUE
    from ..query import format_result, parse_bbox, parse_lonlat, parse_where, query, query_folder
    from ..store import is_database_url

    if args.layer not in CATALOGUE:
        raise InputError(f"unknown layer {args.layer!r}; layers are: {', '.join(CATALOGUE)}")
    where = parse_where(args.where, layer=args.layer) if args.where is not None else None  # fail before loading
    near = parse_lonlat(args.near, option="--near") if args.near else None
    to = parse_lonlat(args.to, option="--to") if args.to else None
    bbox = parse_bbox(args.bbox) if args.bbox else None
    conditions = {"near": near, "radius_m": args.radius, "bbox": bbox, "intersects": args.intersects,
                  "within": args.within, "nearest": args.nearest, "to": to, "where": where,
                  "input_crs": args.input_crs}
    if is_database_url(args.data):
        result = query(args.data, args.layer, **conditions)
    else:  # only the layers the question needs, reprojected only if it must (ecomap.query.folder)
        result = query_folder(args.data, args.layer, **conditions)
    text = format_result(result, args.layer, fmt=args.format)
    if args.out is not None:
        _check_out_file(args.out)
        write_text(args.out, text)
        print(f"{len(result)} {args.layer} feature(s) -> {args.out}")
    else:
        sys.stdout.write(text)
    return 0


# --- map ---------------------------------------------------------------------------------
def _add_map(sub) -> None:
    p = sub.add_parser("map", help="one self-contained web map with chosen layers and basemap")
    _data_arg(p)
    p.add_argument("--basemap", default="osm", metavar="NAME",
                   help="osm, light, imagery, gaode (GCJ-02), tianditu (key in $ECOMAP_TIANDITU_KEY) or none")
    p.add_argument("--layers", default=None, metavar="A,B,...",
                   help="comma-separated layers to draw (default: every layer, and gaps)")
    p.add_argument("--out", type=_path, default="map.html", metavar="FILE", help="HTML file (default: map.html)")
    p.add_argument("--title", default="坪山生态网络 Pingshan ecological network", help="title of the page")
    p.add_argument("--no-analysis", action="store_true",
                   help="skip the connectivity analysis that adds importance (dPC rank) and gaps to the map "
                        "(so --layers cannot ask for gaps)")


def _run_map(args) -> int:
    from .._errors import InputError
    from ..layers import CATALOGUE
    from ..network import load_network
    from ..webmap import atlas, basemap, save_map

    basemap(args.basemap)  # a bad name or a missing key fails before any data are read
    layers = args.layers.split(",") if args.layers is not None else None
    if args.no_analysis and layers is not None and "gaps" in layers:
        raise InputError("map: gaps come from the connectivity analysis; drop --no-analysis or gaps from --layers")
    drawn = [n for n in layers if n in CATALOGUE] if layers is not None and args.no_analysis else None
    net = load_network(args.data, layers=drawn)  # without the analysis, only the layers drawn
    result = None
    if not args.no_analysis and len(net.patches) and len(net.corridors):
        from ..connectivity import analyse

        result = analyse(net)
    m = atlas(net, basemap=args.basemap, layers=layers, title=args.title, connectivity=result)
    path = save_map(m, args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0
