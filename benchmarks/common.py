"""Shared bits of the benchmark scripts: real MNIST, tables, the closing JSON line."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from mnist_course import DATA_ENV_VAR, DataSplits, load_data


def parser(description: str) -> argparse.ArgumentParser:
    """Every benchmark takes --full (the long version) and --data (the MNIST root)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--full", action="store_true", help="the complete, slow version")
    p.add_argument("--data", help=f"MNIST root (default: ${DATA_ENV_VAR} or data/)")
    return p


def real_mnist(root: str | None) -> DataSplits:
    """Benchmarks measure on real MNIST only: figures on other data would mislead."""
    try:
        return load_data("mnist", root=root, download=False)
    except Exception as exc:  # noqa: BLE001 - any reason means: no figures to report
        sys.exit(f"error: benchmarks need real MNIST (--data or ${DATA_ENV_VAR}): {exc}")


def _cpu_name() -> str:
    """The CPU's model name (Linux's /proc/cpuinfo), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name()} (CUDA)"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{_cpu_name()}, {cores} cores, {torch.get_num_threads()} torch threads"


def median(values: list[float]) -> float:
    return statistics.median(values)


def finish(title: str, table: pd.DataFrame, figures: dict[str, Any]) -> None:
    """Print the table, then the figures as one JSON line (the line tools read)."""
    print(f"\n{title} — {machine()}, torch {torch.__version__}")
    print(table.to_string())
    print(json.dumps({"machine": machine(), **figures}))
