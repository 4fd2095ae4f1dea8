"""``ecomap bridges``: the bridge-site register (synth, import, list, stats)."""

from __future__ import annotations

import sys

from .options import _data_arg, _path


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
    s.add_argument("--out", type=_path, required=True, metavar="FILE",
                   help="GeoJSON file to write (an existing file only with --overwrite)")
    s.add_argument("--overwrite", action="store_true", help="replace --out if it exists (e.g. a folder's register)")
    _add_bridges_register(bsub)


def _run_bridges(args) -> int:
    return _BRIDGES_ACTIONS[args.bridges_command](args)


def _run_bridges_synth(args) -> int:
    from .._errors import InputError
    from ..bridges import synthesize
    from ..io import write_geojson
    from ..network import load_network

    if args.out.suffix.lower() not in {".geojson", ".json"}:
        raise InputError(f"{args.out}: --out must be a .geojson file")
    if args.out.exists() and not args.overwrite:
        raise InputError(f"{args.out} already exists; give --overwrite to replace it")
    sites = synthesize(load_network(args.data), args.n, seed=args.seed, min_spacing_m=args.min_spacing)
    write_geojson(sites, args.out)
    print(f"wrote {len(sites)} synthetic bridge sites to {args.out}")
    return 0


def _add_bridges_register(bsub) -> None:
    i = bsub.add_parser("import", help="add a field survey (CSV or GeoJSON) to the register: the valid rows, "
                                             "the others to FILE.rejects.csv")
    i.add_argument("file", type=_path, metavar="FILE",
                   help="CSV with lon,lat (or longitude,latitude / x,y / 经度,纬度) columns, or GeoJSON points")
    i.add_argument("--crs", default="wgs84", choices=["wgs84", "gcj02", "bd09"],
                   help="datum of the file's coordinates: wgs84 (phone GPS), gcj02 (AMap/Gaode, Tencent) "
                        "or bd09 (Baidu Maps)")
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
    from ..bridges import import_sites

    report = import_sites(args.file, data_dir=args.data, crs=args.crs, dry_run=args.dry_run, encoding=args.encoding)
    for line in report.lines():
        print(line)
    return 2 if report.rejected else 0


def _run_bridges_list(args) -> int:
    from ..bridges import list_sites
    from ..network import load_network
    from ..query import format_result
    from ..store import is_database_url

    source = args.data if is_database_url(args.data) else load_network(args.data)
    sites = list_sites(source, status=args.status, within=args.within)
    sys.stdout.write(format_result(sites, "bridges", fmt=args.format))
    return 0


def _run_bridges_stats(args) -> int:

    import json

    from ..bridges import STATS_BY, site_stats
    from ..network import load_network
    from ..store import database, is_database_url
    from ..store.stats import count_rows

    on_db = is_database_url(args.data)
    network = args.data if on_db else load_network(args.data)
    tables = {by: site_stats(network, by=by) for by in (args.by or STATS_BY)}
    if args.json:
        print(json.dumps({by: json.loads(t.to_json(orient="index")) for by, t in tables.items()},
                         ensure_ascii=False, indent=1))
        return 0
    if on_db:
        n_subs = count_rows(network, "subdistricts") if "subdistrict" in tables else 0  # only for its note
        n_sites, label = count_rows(network, "bridges"), database(network).label
    else:
        n_sites, n_subs, label = len(network.bridges), len(network.subdistricts), network.source
    print(f"{n_sites} sites in {label}")
    for by, t in tables.items():
        shown = t.copy()
        shown["share"] = shown["share"].map(lambda v: f"{v:.1%}")
        sub_note = (" (OSM subdistrict polygons; a site outside all counts in the nearest)"
                    if n_subs else " (nearest of six approximate centres; indicative)")
        note = sub_note if by == "subdistrict" else \
            " (inside the footprint; a site may count in two)" if by == "corridor" else ""
        print(f"\nby {by}{note}\n{shown.to_string()}")
    return 0


#: ``ecomap bridges ACTION`` -> its run function.
_BRIDGES_ACTIONS = {"synth": _run_bridges_synth, "import": _run_bridges_import,
                    "list": _run_bridges_list, "stats": _run_bridges_stats}
