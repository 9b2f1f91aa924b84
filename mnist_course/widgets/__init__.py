"""What the notebooks show: figures, the gallery, the drawing pad, the training panel."""
