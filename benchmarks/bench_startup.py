"""Start-up time of ``ecomap --help``, against a bare interpreter and ``import geopandas`` in the same run.

Each command runs ``--repeat`` times in a fresh interpreter; the best time is kept. Also
checks which heavy libraries ``ecomap --help`` leaves loaded (none should be).

Run: ``.venv/bin/python benchmarks/bench_startup.py [--repeat 7] [--src DIR]``
(``--src`` times another source tree, e.g. an older checkout, in the same run).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HELP = ("import sys, io, contextlib\nfrom ecomap.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    try:\n        main(['--help'])\n"
        "    except SystemExit:\n        pass\n")
PROBE = "\nprint(sorted(m for m in ('geopandas', 'shapely', 'folium', 'scipy', 'pandas') if m in sys.modules))"


def best(code: str, src: str, repeat: int) -> tuple[float, str]:
    """Best wall time of ``python -c code`` with ``src`` on the path, and its last output."""
    env = {**os.environ, "PYTHONPATH": src}
    times, out = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
        times.append(time.perf_counter() - t0)
    return min(times), out.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--src", action="append", default=[], help="another source tree to time too")
    args = ap.parse_args()
    here = str(Path(__file__).resolve().parents[1] / "src")
    bare, _ = best("pass", here, args.repeat)
    gpd, _ = best("import geopandas", here, args.repeat)
    print(f"bare interpreter {bare:.3f} s; import geopandas {gpd:.3f} s")
    for src in [here, *args.src]:
        t, loaded = best(HELP + PROBE, src, args.repeat)
        print(f"ecomap --help ({src}): {t:.3f} s = bare + {t - bare:.3f} s; {t / gpd:.2f}x import geopandas; "
              f"heavy modules loaded: {loaded}")


if __name__ == "__main__":
    main()
