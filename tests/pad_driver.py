"""The drawing pad's mouse handlers driven directly, as a browser would call them: no browser."""

from __future__ import annotations

from tests.drawing import digit_strokes


def draw_on_pad(pad, digit: str) -> None:
    """What the pad's mouse handlers receive when someone draws ``digit`` (a ``DrawingPad``)."""
    for stroke in digit_strokes(digit, canvas=pad.size):
        pad.brush.value = stroke.width
        pad.start_stroke(*stroke.points[0])
        for point in stroke.points[1:]:
            pad.extend_stroke(*point)
        pad.end_stroke(*stroke.points[-1])
