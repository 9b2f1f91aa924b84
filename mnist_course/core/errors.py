"""Errors a learner can act on.

Anything raised as a ``CourseError`` is a problem with the input, not a bug: the message names the
file (and row/column where it applies) and what was expected, and the command line prints it as one
``error:`` line with exit status 2 instead of a traceback.
"""

from __future__ import annotations


class CourseError(Exception):
    """A problem with the user's input or environment that the message explains how to fix."""


class DataError(CourseError, ValueError):
    """Data that is missing, malformed or inconsistent."""
