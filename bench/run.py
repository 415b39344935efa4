"""`make bench`: run the benchmarks, print a table, write bench-results.json.

Each ``bench/p<N>_*.py`` defines ``run() -> list[dict]`` returning figures
``{"id", "name", "value", "unit", "baseline", "ratio"}``: the value and its
baseline are measured in the same run on this machine; ``ratio`` says how
many times better the value is than the baseline (>1 is better), or is None
where a figure has no baseline. ``--only P1`` runs the files whose id
matches (P1 matches p1_*.py).
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def discover() -> list[tuple[str, str]]:
    out = []
    for path in sorted(HERE.glob("p[0-9]*_*.py"), key=lambda p: int(re.match(r"p(\d+)", p.stem).group(1))):
        out.append((path.stem.split("_")[0].upper(), f"bench.{path.stem}"))
    return out


def fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"
    return str(x)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only this benchmark id, e.g. P1 (comma-separated for several)")
    parser.add_argument("--out", default=str(ROOT / "bench-results.json"))
    args = parser.parse_args(argv)
    wanted = {w.strip().upper() for w in args.only.split(",")} if args.only else None
    selected = [(bid, mod) for bid, mod in discover() if wanted is None or bid in wanted]
    if not selected:
        print(f"no benchmark matches {args.only!r}; have: {', '.join(b for b, _ in discover())}", file=sys.stderr)
        return 2
    figures, failed = [], []
    for bid, modname in selected:
        print(f"== {bid} ({modname})", flush=True)
        started = time.perf_counter()
        try:
            result = importlib.import_module(modname).run()
        except Exception:
            traceback.print_exc()
            failed.append(bid)
            continue
        for fig in result:
            missing = {"id", "name", "value", "unit", "baseline", "ratio"} - set(fig)
            if missing:
                raise ValueError(f"{modname}: figure {fig} lacks {sorted(missing)}")
            figures.append(fig)
        print(f"   done in {time.perf_counter() - started:.1f} s", flush=True)
    previous = []
    out = Path(args.out)
    if wanted and out.exists():
        ids = {f["id"] for f in figures}
        previous = [f for f in json.loads(out.read_text()) if f["id"] not in ids]
    out.write_text(json.dumps(previous + figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print()
    print(f"{'id':<6} {'name':<62} {'value':>10} {'unit':<8} {'baseline':>10} {'ratio':>7}")
    for f in figures:
        print(
            f"{f['id']:<6} {f['name'][:62]:<62} {fmt(f['value']):>10} {f['unit']:<8} "
            f"{fmt(f['baseline']):>10} {fmt(f['ratio']):>7}"
        )
    print(f"\nwritten to {out}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
