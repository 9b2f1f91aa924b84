"""Tests of ``mnist_course.exercises``: the framework, then one file per lesson, as the package."""
