"""`make budget`: run each chapter as Binder would, in a fresh kernel with one thread, and print
its wall time and peak memory.

    python tools/budget.py            # every notebook chapter of _toc.yml, one after another
    python tools/budget.py -j 2       # two chapters at a time (faster, but times are less clean)
    python tools/budget.py mnist      # some chapters only
    python tools/budget.py --write    # also record the table in book/budget.json (the book and
                                      # the README show it)

mybinder.org guarantees 1 GB of memory, stops a server that grows past 2 GB and gives about one
CPU. Here each chapter runs top to bottom in its own fresh kernel (nbclient, as the book build
runs it), with one BLAS and OpenMP thread and TensorFlow's intra- and inter-op pools at one
thread, all set through the environment before the kernel starts. The kernel reports its own
peak resident memory, VmHWM (book/_ext/kernel_budget.py), and the BLAS thread count it really
ran with. "wall" is the time from starting the kernel to the end of the last cell.

Exits 1 when a chapter fails or its kernel peaks above LIMIT_MIB. (Binder's limit is for the
whole server: JupyterLab itself takes about 100 MiB more.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import kernel_budget  # noqa: E402  (book/_ext/kernel_budget.py)

# KubeSpawner (mybinder.org) reads "2G" as 2 * 1024**3 bytes.
LIMIT_MIB = 2048   # Binder stops the server above this
AIM_MIB = 1024     # Binder guarantees this much
RECORD = ROOT / "book" / "budget.json"
README = ROOT / "README.md"
README_START = "<!-- budget: written by `make budget ARGS=--write`; do not edit by hand -->"
README_END = "<!-- end budget -->"
ONE_THREAD = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
}
CELL_TIMEOUT = 600  # seconds


def notebook_chapters() -> list[Path]:
    """The chapters of _toc.yml that run code (MyST markdown naming a kernel, or .ipynb)."""
    import yaml
    from sphinx_external_toc.parsing import parse_toc_yaml

    chapters = []
    for docname in parse_toc_yaml(ROOT / "_toc.yml"):
        for suffix in (".md", ".ipynb"):
            path = ROOT / f"{docname}{suffix}"
            if path.exists():
                break
        else:
            raise SystemExit(f"_toc.yml names {docname}, which has no .md or .ipynb")
        if path.suffix == ".md":
            text = path.read_text(encoding="utf8")
            front = yaml.safe_load(text[4:text.index("\n---", 4)]) if text.startswith("---\n") else {}
            if "kernelspec" not in (front or {}):
                continue
        chapters.append(path)
    return chapters


def run_one(path: Path) -> None:
    """Execute one chapter (in this process's environment) as the book build does."""
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(path)
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()


def measure(path: Path, scratch: Path) -> dict:
    """Run one chapter in a child process whose environment the kernel inherits."""
    record = scratch / f"{path.stem}.json"
    ipython_dir = scratch / f"ipython-{path.stem}"
    kernel_budget.install_startup(ipython_dir)
    env = dict(os.environ, **ONE_THREAD, IPYTHONDIR=str(ipython_dir),
               NNSCRATCH_PROGRESS="0", PYDEVD_DISABLE_FILE_VALIDATION="1")
    env[kernel_budget.FILE_VAR] = str(record)
    env.pop(kernel_budget.DIR_VAR, None)
    if env.get("NNSCRATCH_DATA"):
        env["NNSCRATCH_DATA"] = str(Path(env["NNSCRATCH_DATA"]).resolve())
    started = time.monotonic()
    proc = subprocess.run([sys.executable, __file__, "--run-one", str(path)], env=env,
                          cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    wall = time.monotonic() - started
    result = {"chapter": path.stem, "ok": proc.returncode == 0, "total_s": wall}
    if record.exists():
        data = json.loads(record.read_text())
        result.update(peak_mib=data["peak_kib"] / 1024, wall_s=data["seconds"],
                      threads=data["threads"], cells=data["cells"],
                      cell_peaks_mib=[k / 1024 for k in data["cell_peaks_kib"]])
    if proc.returncode != 0 or not record.exists():
        result["ok"] = False
        result["error"] = (proc.stdout + proc.stderr)[-3000:] or "no record written"
    return result


def verdict(r: dict) -> str:
    if not r["ok"]:
        return "FAILED"
    if r["peak_mib"] > LIMIT_MIB:
        return "OVER 2 GB"
    return "within 1 GB" if r["peak_mib"] <= AIM_MIB else "within 2 GB"


def table(results: list[dict]) -> str:
    lines = [f"{'chapter':<14}{'wall s':>8}{'peak MiB':>10}  {'BLAS threads':<14}verdict"]
    for r in results:
        threads = ",".join(str(n) for n in sorted(set(r.get("threads", {}).values()))) or "-"
        peak = f"{r['peak_mib']:.0f}" if "peak_mib" in r else "-"
        wall = f"{r['wall_s']:.1f}" if "wall_s" in r else "-"
        lines.append(f"{r['chapter']:<14}{wall:>8}{peak:>10}  {threads:<14}{verdict(r)}")
    return "\n".join(lines)


def write_readme(results: dict[str, dict], jobs: int) -> None:
    """Put the table between README_START and README_END in the README."""
    text = README.read_text(encoding="utf8")
    if text.count(README_START) != 1 or text.count(README_END) != 1:
        raise SystemExit(f"{README.name} needs one {README_START!r} and one {README_END!r} line")
    head, rest = text.split(README_START)
    _, tail = rest.split(README_END)
    rows = "\n".join(f"| {name} | {r['peak_mib']:.0f} | {r['wall_s']:.0f} | "
                     f"{verdict(dict(r, ok=True))} |" for name, r in results.items())
    block = (f"{README_START}\nMeasured on {dt.date.today().isoformat()} with `make budget` "
             f"({jobs} chapter{'s' if jobs > 1 else ''} at a time):\n\n"
             f"| chapter | peak memory (MiB) | wall time (s) | Binder |\n|---|---:|---:|---|\n"
             f"{rows}\n{README_END}")
    README.write_text(head + block + tail, encoding="utf8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", help="chapter names (default: every one)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="chapters run at once")
    parser.add_argument("--write", action="store_true",
                        help=f"record the table in {RECORD.relative_to(ROOT)} and the README (with "
                             "chapters named, only their rows)")
    parser.add_argument("--cells", action="store_true",
                        help="also show which code cells raise each chapter's peak")
    parser.add_argument("--run-one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_one:
        run_one(args.run_one)
        return 0
    if not Path("/proc/self/status").exists():
        raise SystemExit("make budget reads /proc/<pid>/status: it needs Linux")
    chapters = notebook_chapters()
    if args.chapters:
        known = {p.stem: p for p in chapters}
        unknown = [c for c in args.chapters if c not in known]
        if unknown:
            raise SystemExit(f"no notebook chapter named {unknown}; chapters: {sorted(known)}")
        chapters = [known[c] for c in args.chapters]
    print(f"{len(chapters)} chapters, each in a fresh kernel with one thread "
          f"({' '.join(f'{k}=1' for k in ONE_THREAD)}), {args.jobs} at a time", flush=True)
    with tempfile.TemporaryDirectory(prefix="budget-") as scratch, \
            ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda p: measure(p, Path(scratch)), chapters))
    print(table(results))
    if args.cells:
        for r in results:
            rises = [(i, b - a, b) for i, (a, b) in
                     enumerate(zip([0.0] + r.get("cell_peaks_mib", []), r.get("cell_peaks_mib", [])), 1)
                     if b - a >= 20]
            print(f"{r['chapter']}: " + "; ".join(f"code cell {i} +{d:.0f} -> {p:.0f} MiB"
                                                for i, d, p in rises))
    for r in results:
        if "error" in r:
            print(f"\n{r['chapter']} failed:\n{r['error']}", file=sys.stderr)
    bad = [r["chapter"] for r in results if verdict(r) in ("FAILED", "OVER 2 GB")]
    print(f"\nlimit {LIMIT_MIB} MiB (Binder stops the server above 2 GB), aim {AIM_MIB} MiB "
          f"(Binder's guarantee): " + (f"{', '.join(bad)} not within it" if bad else "all within"))
    if args.write and all(r["ok"] for r in results):
        # Named chapters update their rows of the existing record; the others keep theirs.
        old = json.loads(RECORD.read_text())["chapters"] if RECORD.exists() and args.chapters else {}
        rows = dict(old, **{r["chapter"]: {"peak_mib": round(r["peak_mib"]),
                                           "wall_s": round(r["wall_s"], 1)} for r in results})
        rows = {p.stem: rows[p.stem] for p in notebook_chapters() if p.stem in rows}
        RECORD.write_text(json.dumps({
            "command": "make budget",
            "date": dt.date.today().isoformat(),
            "jobs": args.jobs,
            "limit_mib": LIMIT_MIB,
            "aim_mib": AIM_MIB,
            "chapters": rows,
        }, indent=1) + "\n")
        write_readme(rows, args.jobs)
        print(f"wrote {RECORD.relative_to(ROOT)} and the table in {README.name}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
