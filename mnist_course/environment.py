"""What this machine runs the course with: versions and the device, for the setup lesson."""

from __future__ import annotations

import platform
import sys

import pandas as pd
import torch
import torchvision

from .runtime import pick_device


def environment_report() -> pd.Series:
    """Python, PyTorch and torchvision versions, the chosen device and what accelerates it."""
    device = pick_device("auto")
    details = {
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "device": str(device),
        "cpu threads": torch.get_num_threads(),
        "on Colab": "google.colab" in sys.modules,
    }
    if device.type == "cuda":
        details["gpu"] = torch.cuda.get_device_name()
        details["gpu memory (GiB)"] = round(
            torch.cuda.get_device_properties(0).total_memory / 2**30, 1
        )
    return pd.Series(details, name="environment")
