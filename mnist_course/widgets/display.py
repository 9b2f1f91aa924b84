"""How the course's widgets and progress bars show: live in a notebook, still in a saved copy.

A notebook executed without a browser to be saved and read later (``make course`` writes such
copies to ``build/notebooks``; a repository page shows them) has no front end to draw widgets:
the gallery would be saved as ``VBox(children=...)`` and a progress bar frozen at 0 %. With
``MNIST_COURSE_SAVED_COPY=1`` in the kernel's environment (``benchmarks/course.py`` sets it):

- the gallery, the drawing pad and the training panel show a picture or a table and a line of
  text instead of their live widget (``LiveWidget``);
- progress bars print plain text (``mnist_course.core.progress.progress_bar``): executed with
  nbclient's ``coalesce_streams``, each cell keeps the bar's final line.
"""

from __future__ import annotations

import base64
import html
import io
import re
from typing import Any

from PIL import Image

from ..core.runtime import saved_copy


def plain(markup: str) -> str:
    """The text of a bit of HTML, tags dropped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def png(picture: Image.Image) -> bytes:
    """``picture`` as PNG bytes."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


class LiveWidget:
    """A course widget: ``self.widget`` live, its ``still()`` in a saved copy.

    Make the object the last expression of a cell (or ``display`` it) to show it.
    """

    widget: Any

    def still(self) -> dict[str, Any]:
        """What a saved copy shows instead: a MIME bundle with at least ``text/plain``."""
        raise NotImplementedError

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if saved_copy():
            bundle = self.still()  # pictures as PNG bytes; a notebook stores them in base64
            display(
                {
                    kind: base64.b64encode(bytes(data)).decode("ascii")
                    if isinstance(data, (bytes, bytearray, memoryview))
                    else data
                    for kind, data in bundle.items()
                },
                raw=True,
            )
        else:
            display(self.widget)
