"""What the command line prints: a readable summary, or with ``--json`` one strict JSON line."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pandas as pd


def _key_values(summary: dict[str, Any]) -> list[str]:
    width = max(len(key) for key in summary)
    return [
        f"{key:<{width}}  {' '.join(map(str, value)) if isinstance(value, list) else value}"
        for key, value in summary.items()
    ]


def _evaluation_lines(summary: dict[str, Any]) -> list[str]:
    table = pd.DataFrame(summary["per_class"]).set_index("class")
    head = {k: v for k, v in summary.items() if k not in ("per_class", "confusion_matrix")}
    matrix = pd.DataFrame(summary["confusion_matrix"], index=table.index, columns=table.index)
    return [
        *_key_values(head),
        "",
        table.round(4).to_string(),
        "",
        "confusion matrix (rows: true class, columns: predicted)",
        matrix.to_string(),
    ]


def _prediction_lines(summary: dict[str, Any]) -> list[str]:
    return [f"{p['image']}: {p['label']} ({p['confidence']:.1%})" for p in summary["predictions"]]


def _human(command: str) -> Callable[[dict[str, Any]], list[str]]:
    lines = {"evaluate": _evaluation_lines, "predict": _prediction_lines, "recipes": _recipe_lines}
    return lines.get(command, _key_values)


def _finite(value: Any) -> Any:
    """NaN and infinity as JSON null: strict JSON has no NaN, and most parsers refuse it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def emit(command: str, summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(_finite(summary), allow_nan=False))
        return
    print("\n".join(_human(command)(summary)))


def _recipe_lines(summary: dict[str, Any]) -> list[str]:
    rows = summary["recipes"]
    table = pd.DataFrame(rows).drop(columns="notes").set_index("name")
    table["lr"] = [f"{lr:g}" for lr in table["lr"]]
    table["report_accuracy"] = ["" if pd.isna(a) else f"{a:.2%}" for a in table["report_accuracy"]]
    with pd.option_context("display.width", 200, "display.max_columns", None):
        text = table.to_string(na_rep="")
    notes = [f"  {row['name']}: {row['notes']}" for row in rows]
    return [text, "", "notes (the course's choices where a report is silent):", *notes]
