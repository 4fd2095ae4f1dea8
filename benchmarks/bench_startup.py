"""Start-up time of ``ecomap --help``, against a bare interpreter and ``import geopandas`` in the same run.

Each command runs ``--repeat`` times in a fresh interpreter, the commands taking turns so
that the machine's load falls on all of them alike; the best time is kept. Also checks
which heavy libraries ``ecomap --help`` leaves loaded (none should be), and prints the
ratios to the bare interpreter, to ``import argparse`` (the floor of an argparse CLI) and
to the first tree.

Run: ``.venv/bin/python benchmarks/bench_startup.py [--repeat 7] [--src DIR]``
(``--src`` times another source tree, e.g. an older checkout, in the same run).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELP = ("import sys, io, contextlib\nfrom ecomap.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    try:\n        main(['--help'])\n"
        "    except SystemExit:\n        pass\n")
PROBE = "\nprint(sorted(m for m in ('geopandas', 'shapely', 'folium', 'scipy', 'pandas') if m in sys.modules))"


def best(runs: list[tuple[str, str]], repeat: int) -> list[tuple[float, str]]:
    """Best wall time of each ``python -c code`` with ``src`` on the path, taking turns; and its last output."""
    found = [(float("inf"), "")] * len(runs)
    cache = tempfile.mkdtemp(prefix="bench_startup-")  # bytecode is cached, as for an installed package
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPYCACHEPREFIX": cache}
    for code, src in runs:  # a warm-up run writes the bytecode
        subprocess.run([sys.executable, "-c", code], env={**base, "PYTHONPATH": src}, capture_output=True, check=True)
    for _ in range(repeat):
        for i, (code, src) in enumerate(runs):
            env = {**base, "PYTHONPATH": src}
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                 check=True).stdout
            found[i] = (min(found[i][0], time.perf_counter() - t0), out.strip())
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--src", action="append", default=[], help="another source tree to time too")
    args = ap.parse_args()
    here = str(Path(__file__).resolve().parents[1] / "src")
    trees = [here, *args.src]
    found = best([("pass", here), ("import argparse", here), ("import geopandas", here)]
                 + [(HELP + PROBE, src) for src in trees], args.repeat)
    (bare, _), (argp, _), (gpd, _) = found[:3]
    print(f"bare interpreter {bare:.3f} s; import argparse {argp:.3f} s; import geopandas {gpd:.3f} s")
    first = found[3][0]
    for src, (t, loaded) in zip(trees, found[3:], strict=True):
        print(f"ecomap --help ({src}): {t:.3f} s = {t / bare:.1f}x bare (bare + {t - bare:.3f} s), "
              f"{t / argp:.2f}x import argparse, {t / gpd:.2f}x import geopandas, {t / first:.2f}x the first tree; "
              f"heavy modules loaded: {loaded}")


if __name__ == "__main__":
    main()
