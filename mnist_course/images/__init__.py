"""Image operations: a picture made MNIST-style, strokes rasterised, batches augmented."""
