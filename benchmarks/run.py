"""Timings of the book, measured (not pass/fail): `make bench` writes benchmarks/results.json.

* each notebook, top to bottom, in a fresh kernel from an empty folder (target <= 20 s);
* each explorer step, recompute + redraw, on the notebook's own explorer (target <= 100 ms median);
* every other measurement in a ``benchmarks/bench_*.py`` module: its ``run()`` returns a dict of
  figures (with their targets), stored under that module's name.

The explorers are found by running the notebook's code in this process with
``ebm_course.widgets.Explorer`` instrumented to remember every instance it creates.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("EBM_COURSE_NO_PROGRESS", "1")


def cpu_model() -> str:
    """The processor, as ``lscpu`` names it (model name, family and model number, AVX-512 or not);
    /proc/cpuinfo or platform.processor() where lscpu is missing."""
    import subprocess

    fields = {}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True, timeout=10).stdout
        for line in out.splitlines():
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    except (OSError, subprocess.SubprocessError):
        try:
            names = [
                v
                for k, _, v in (ln.partition(":") for ln in Path("/proc/cpuinfo").read_text().splitlines())
                if k.strip() == "model name"
            ]
            fields["Model name"] = names[0] if names else ""
        except OSError:
            pass
    name = fields.get("Model name", "").strip() or platform.processor() or "unknown CPU"
    extra = []
    if fields.get("CPU family") and fields.get("Model"):
        extra.append(f"family {fields['CPU family'].strip()}, model {fields['Model'].strip()}")
    if "Flags" in fields:
        extra.append("AVX-512" if "avx512f" in fields["Flags"].split() else "no AVX-512")
    return f"{name} ({'; '.join(extra)})" if extra else name


def notebooks(lang: str = "en") -> list[Path]:
    return sorted((ROOT / "notebooks" / lang).glob("*.ipynb"))


def time_notebook(path: Path) -> float:
    """Seconds to run the notebook top to bottom in a new kernel, from a copy in an empty folder."""
    import nbformat
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(path, tmp)
        nb = nbformat.read(Path(tmp) / path.name, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp}}).execute()
        return time.perf_counter() - start


def explorers_of(path: Path) -> list:
    """Run the notebook's code here and return the explorers it created."""
    import matplotlib
    import nbformat

    matplotlib.use("Agg")
    matplotlib.rcParams["figure.max_open_warning"] = 0  # the explorers keep their figures open
    from ebm_course import widgets

    created = []
    original = widgets.Explorer.__init__

    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        created.append(self)

    widgets.Explorer.__init__ = recording
    try:
        nb = nbformat.read(path, as_version=4)
        namespace = {"__name__": "__main__"}
        cwd = os.getcwd()
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)
            try:
                for cell in nb.cells:
                    if cell.cell_type == "code":
                        exec(compile(cell.source, path.name, "exec"), namespace)
            finally:
                os.chdir(cwd)
    finally:
        widgets.Explorer.__init__ = original
    return created


def time_explorer(explorer, repeats: int = 3) -> dict:
    values = list(explorer.values)
    times = []
    for _ in range(repeats):
        for v in values:
            start = time.perf_counter()
            explorer.step(v)
            times.append(time.perf_counter() - start)
    return {
        "label": explorer.label,
        "steps": len(times),
        "median_ms": 1000 * statistics.median(times),
        "p90_ms": 1000 * sorted(times)[int(0.9 * (len(times) - 1))],
    }


def measurements() -> list:
    """(name, run) for each ``benchmarks/bench_<name>.py``."""
    import importlib

    found = []
    for path in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        module = importlib.import_module(f"benchmarks.{path.stem}")
        found.append((path.stem.removeprefix("bench_"), module.run))
    return found


def main() -> int:
    import torch

    results = {
        "machine": {
            "date": datetime.date.today().isoformat(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "cpu_model": cpu_model(),
            "torch": torch.__version__,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        },
        "notebooks": {},
        "explorers": {},
    }
    for lang in ("en", "ko"):
        for path in notebooks(lang):
            key = f"{lang}/{path.stem}"
            seconds = time_notebook(path)
            results["notebooks"][key] = {"seconds": round(seconds, 2), "target_s": 20}
            print(f"notebook {key:32s} {seconds:6.1f} s   (target <= 20 s)", flush=True)
    for path in notebooks("en"):
        for i, explorer in enumerate(explorers_of(path)):
            stats = time_explorer(explorer)
            key = f"{path.stem}#{i}"
            results["explorers"][key] = {**stats, "target_median_ms": 100}
            print(
                f"explorer {key:32s} {stats['label']}: median {stats['median_ms']:.0f} ms, p90 {stats['p90_ms']:.0f} ms"
            )
    for name, run in measurements():
        print(f"measurement {name} ...", flush=True)
        results[name] = run()
        print(json.dumps(results[name], indent=2, ensure_ascii=False))
    out = ROOT / "benchmarks" / "results.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
