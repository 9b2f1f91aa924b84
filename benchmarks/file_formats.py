"""Benchmark: reading the same training images from CSV vs from IDX, time and peak memory.

The real MNIST training set is written once as the Kaggle CSV layout (plain and gzipped) and as
the four-file IDX layout (plain and gzipped), then each file is read by the course's own reader
(``read_csv_dataset``, ``read_idx_pair``) in a fresh Python process, alternating formats, median of
repeats. Peak memory is the process's peak resident set while reading, minus what it held before
(Linux's ``VmHWM``, reset just before the read), so it counts pandas' C buffers too, which Python's
own allocation tracking would miss. ``--full`` reads all 60,000 images (default: the first 20,000).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from benchmarks.common import finish, median, parser, real_mnist
from mnist_course.data import write_csv, write_idx

# Runs in a fresh interpreter: libraries imported first, then the peak is reset and one file read.
_CHILD = """
import json, sys, time
from pathlib import Path
from mnist_course.data import read_csv_dataset
from mnist_course.data.idx_folder import read_idx_pair

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024

kind, *paths = sys.argv[1:]
Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current size
before = status("VmRSS")
started = time.perf_counter()
if kind == "csv":
    data = read_csv_dataset(paths[0])
else:
    data = read_idx_pair(Path(paths[0]), Path(paths[1]))
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "peak": status("VmHWM") - before, "images": len(data)}))
"""


def measure(kind: str, paths: list[Path]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_files(train, folder: Path) -> dict[str, tuple[str, list[Path]]]:
    """The training images in every format measured: {name: (reader, its files)}."""
    csv = write_csv(train, folder / "train.csv")
    subprocess.run(["gzip", "-k", "-6", str(csv)], check=True)
    files = {"CSV": ("csv", [csv]), "CSV, gzipped": ("csv", [folder / "train.csv.gz"])}
    for suffix, name in (("", "IDX"), (".gz", "IDX, gzipped")):
        images = write_idx(train.images.numpy(), folder / f"train-images-idx3-ubyte{suffix}")
        labels = train.labels.numpy().astype("uint8")
        files[name] = (
            "idx",
            [images, write_idx(labels, folder / f"train-labels-idx1-ubyte{suffix}")],
        )
    return files


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    if not Path("/proc/self/clear_refs").exists():
        sys.exit("error: this benchmark reads peak memory from Linux's /proc; run it on Linux")
    train = real_mnist(args.data).train
    if not args.full:
        train = train.head(20_000)
    with tempfile.TemporaryDirectory() as tmp:
        files = write_files(train, Path(tmp))
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in files}
        for _ in range(args.repeats):
            for name, (kind, paths) in files.items():  # alternate formats within each repeat
                runs[name].append(measure(kind, paths))
        rows = []
        for name, (_, paths) in files.items():
            size = sum(path.stat().st_size for path in paths)
            seconds = median([run["seconds"] for run in runs[name]])
            peak = median([run["peak"] for run in runs[name]])
            rows.append(
                {
                    "format": name,
                    "images": int(runs[name][0]["images"]),
                    "file MB": size / 1e6,
                    "seconds": seconds,
                    "peak MB": peak / 1e6,
                    "peak / file": peak / size,
                }
            )
    table = pd.DataFrame(rows).set_index("format")
    idx_seconds = table.loc["IDX", "seconds"]
    idx_peak = table.loc["IDX", "peak MB"]
    table["time vs IDX"] = table["seconds"] / idx_seconds
    table["peak vs IDX"] = table["peak MB"] / idx_peak
    finish(
        f"Reading {len(train)} training images, CSV vs IDX (median of {args.repeats})",
        table.round(3),
        {
            "images": len(train),
            **{
                f"{name} {column}": round(float(table.loc[name, column]), 3)
                for name in table.index
                for column in ("seconds", "peak MB", "file MB")
            },
        },
    )


if __name__ == "__main__":
    main()
