"""Page through a dataset in the notebook, 100 images at a time, optionally one digit only."""

from __future__ import annotations

import io

import ipywidgets as widgets
import torch
from PIL import Image
from torchvision.utils import make_grid

from .data.dataset import DigitDataset


class Gallery:
    """An ipywidgets browser: digit filter, previous/next, and a page of images as one picture.

    Make ``Gallery(splits.train)`` the last expression of a cell to show it.
    """

    def __init__(self, data: DigitDataset, per_page: int = 100, columns: int = 20, zoom: int = 2):
        self.data, self.per_page, self.columns, self.zoom = data, per_page, columns, zoom
        self.page, self.digit = 0, None
        choices = [("all", -1)] + [(name, i) for i, name in enumerate(data.classes)]
        self.filter = widgets.Dropdown(options=choices, value=-1, description="show")
        self.previous_button = widgets.Button(description="◀ previous")
        self.next_button = widgets.Button(description="next ▶")
        self.status = widgets.HTML()
        self.picture = widgets.Image(format="png")
        for widget, name in [(self.filter, "filter"), (self.previous_button, "previous"),
                             (self.next_button, "next"), (self.picture, "picture")]:  # fmt: skip
            widget.add_class(f"mnist-gallery-{name}")
        self.filter.observe(lambda change: self.set_digit(change["new"]), names="value")
        self.previous_button.on_click(lambda _: self.previous_page())
        self.next_button.on_click(lambda _: self.next_page())
        controls = widgets.HBox([self.filter, self.previous_button, self.next_button, self.status])
        self.widget = widgets.VBox([controls, self.picture])
        self._show()

    @property
    def indices(self) -> torch.Tensor:
        """Positions in the dataset of the images the filter lets through."""
        if self.digit is None:
            return torch.arange(len(self.data))
        return torch.nonzero(self.data.require_labels() == self.digit).flatten()

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.indices) // self.per_page))

    def page_indices(self) -> torch.Tensor:
        return self.indices[self.page * self.per_page : (self.page + 1) * self.per_page]

    def set_digit(self, digit: int | None) -> None:
        """Show only ``digit`` (``None`` or -1 for all), from the first page."""
        self.digit = None if digit is None or digit < 0 else digit
        self.page = 0
        self._show()

    def next_page(self) -> None:
        if self.page + 1 >= self.pages:
            self._show(note="this is the last page")
        else:
            self.page += 1
            self._show()

    def previous_page(self) -> None:
        if self.page == 0:
            self._show(note="this is the first page")
        else:
            self.page -= 1
            self._show()

    def render(self) -> Image.Image:
        """The current page as one picture: a grid of images with thin gaps."""
        images = self.data.images[self.page_indices()].unsqueeze(1)
        if len(images) == 0:
            images = torch.zeros((1, 1, 28, 28), dtype=torch.uint8)
        grid = make_grid(images, nrow=self.columns, padding=1, pad_value=60)
        picture = Image.fromarray(grid[0].numpy())
        return picture.resize(
            (picture.width * self.zoom, picture.height * self.zoom), Image.NEAREST
        )

    def _show(self, note: str = "") -> None:
        shown = self.page_indices()
        which = "all images" if self.digit is None else f"only {self.data.classes[self.digit]}"
        first = self.page * self.per_page + 1 if len(shown) else 0
        text = (f"page {self.page + 1} of {self.pages} · images {first}–{first + len(shown) - 1} "
                f"of {len(self.indices)} ({which})")  # fmt: skip
        self.status.value = text + (f" · <b>{note}</b>" if note else "")
        buffer = io.BytesIO()
        self.render().save(buffer, format="PNG")
        self.picture.value = buffer.getvalue()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
