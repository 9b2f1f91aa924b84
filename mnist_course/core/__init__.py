"""The base layer: errors, atomic writes, the data folder, the runtime, formatting, progress bars.

Nothing here imports another part of the package; every other layer may import from here.
"""
