"""R4's image viewer in the notebook: 100 random images a page, Next/Previous, a filter by class.

As in R4's application: the images come in a random (seeded, so repeatable) order, a page at a
time; one checkbox per class (47 for EMNIST Balanced) picks which classes to show, several at
once, applied with the Filter button; asking for a page before the first or after the last says
so. With a training and a test set, a toggle switches between them. Works with ipywidgets 7 and 8.
"""

from __future__ import annotations

import ipywidgets as widgets
import torch
from PIL import Image
from torchvision.utils import make_grid

from ..data.dataset import DataSplits, DigitDataset
from .display import LiveWidget, plain, png

GAP = 60
"""The grey between the tiles (and of the empty tiles that fill out a short page)."""


class Gallery(LiveWidget):
    """Page through a dataset; make ``Gallery(splits)`` the last expression of a cell to show it."""

    def __init__(
        self,
        data: DigitDataset | DataSplits,
        per_page: int = 100,
        columns: int = 20,
        zoom: int = 2,
        seed: int = 0,
    ) -> None:
        if isinstance(data, DataSplits):
            self.sets = {"training set": data.train, "test set": data.test}
        else:
            self.sets = {"images": data}
        self.per_page, self.columns, self.zoom, self.seed = per_page, columns, zoom, seed
        self.page = 0
        self.chosen: tuple[int, ...] = ()
        first = next(iter(self.sets.values()))
        self.which = widgets.ToggleButtons(options=list(self.sets))
        self.which.layout.display = "" if len(self.sets) > 1 else "none"
        self.checkboxes = [
            widgets.Checkbox(
                value=False, description=name, indent=False, layout=widgets.Layout(width="52px")
            )
            for name in first.classes
        ]
        self.filter_button = widgets.Button(description="Filter", icon="filter")
        self.previous_button = widgets.Button(description="◀ previous 100")
        self.next_button = widgets.Button(description="next 100 ▶")
        self.status = widgets.HTML()
        self.picture = widgets.Image(format="png")
        for widget, name in [
            (self.which, "set"),
            (self.filter_button, "filter"),
            (self.previous_button, "previous"),
            (self.next_button, "next"),
            (self.status, "status"),
            (self.picture, "picture"),
        ]:
            widget.add_class(f"mnist-gallery-{name}")
        for box, name in zip(self.checkboxes, first.classes, strict=True):
            box.add_class(f"mnist-gallery-class-{name}")
        self.which.observe(lambda _: self._new_set(), names="value")
        self.filter_button.on_click(lambda _: self.apply_filter())
        self.previous_button.on_click(lambda _: self.previous_page())
        self.next_button.on_click(lambda _: self.next_page())
        classes = widgets.HBox(self.checkboxes, layout=widgets.Layout(flex_flow="row wrap"))
        controls = widgets.HBox([self.previous_button, self.next_button, self.filter_button])
        self.widget = widgets.VBox([self.which, classes, controls, self.status, self.picture])
        self._order = self._shuffled()
        self._show()

    @property
    def data(self) -> DigitDataset:
        return self.sets[self.which.value]

    def _shuffled(self) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed)
        return torch.randperm(len(self.data), generator=generator)

    @property
    def indices(self) -> torch.Tensor:
        """Positions in the dataset of the images shown, in the gallery's random order."""
        if not self.chosen:
            return self._order
        labels = self.data.require_labels()[self._order]
        return self._order[torch.isin(labels, torch.tensor(self.chosen))]

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.indices) // self.per_page))

    def page_indices(self) -> torch.Tensor:
        return self.indices[self.page * self.per_page : (self.page + 1) * self.per_page]

    def apply_filter(self) -> None:
        """Show only the checked classes (none checked: all of them), from the first page."""
        self.chosen = tuple(i for i, box in enumerate(self.checkboxes) if box.value)
        self.page = 0
        self._show()

    def show_set(self, name: str) -> None:
        """Switch between the training and the test set (the filter stays)."""
        self.which.value = name

    def _new_set(self) -> None:
        self._order, self.page = self._shuffled(), 0
        self._show()

    def next_page(self) -> None:
        if self.page + 1 >= self.pages:
            self._show(note="there is no next page: this is the last one")
        else:
            self.page += 1
            self._show()

    def previous_page(self) -> None:
        if self.page == 0:
            self._show(note="there is no previous page: this is the first one")
        else:
            self.page -= 1
            self._show()

    def render(self) -> Image.Image:
        """The current page as one picture: a grid of images with thin gaps.

        A page with fewer images (the last one, a filter's) is filled out to whole rows of
        ``columns`` with empty tiles in the colour of the gaps, so that the picture is always as
        wide as a full page's and a page of few images never shows them larger.
        """
        images = self.data.images[self.page_indices()].unsqueeze(1)
        rows = max(1, -(-len(images) // self.columns))
        empty = torch.full((rows * self.columns - len(images), 1, 28, 28), GAP, dtype=torch.uint8)
        grid = make_grid(torch.cat([images, empty]), nrow=self.columns, padding=1, pad_value=GAP)
        picture = Image.fromarray(grid[0].numpy())
        return picture.resize(
            (picture.width * self.zoom, picture.height * self.zoom), Image.Resampling.NEAREST
        )

    def _show(self, note: str = "") -> None:
        shown = self.page_indices()
        names = [self.data.classes[i] for i in self.chosen]
        which = "all classes" if not names else "only " + ", ".join(names)
        if len(self.sets) > 1:
            which += f", {self.which.value}"
        first = self.page * self.per_page + 1 if len(shown) else 0
        last = first + len(shown) - 1
        text = (
            f"page {self.page + 1:,} of {self.pages:,} · images {first:,}–{last:,} "
            f"of {len(self.indices):,} ({which}, in random order)"
        )
        self.status.value = text + (f" · <b>{note}</b>" if note else "")
        self.picture.value = png(self.render())

    def still(self) -> dict:
        """The current page and its status line, for a saved copy of the notebook."""
        text = f"gallery: {plain(self.status.value)}"
        return {"image/png": self.picture.value, "text/plain": text}
