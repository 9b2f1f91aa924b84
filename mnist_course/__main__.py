"""``python -m mnist_course`` and the ``mnist-course`` command.

The command line imports torch while it starts; Ctrl-C in that second ends it quietly (status
130), as it does once it runs.
"""

import os
import signal


def run() -> None:
    # Ctrl-C while the libraries load: leave at once. A KeyboardInterrupt raised inside torch's
    # import can leave it half set up, and the interpreter's clean-up then aborts (SIGABRT).
    signal.signal(signal.SIGINT, lambda signum, frame: os._exit(130))
    from .cli import main

    signal.signal(signal.SIGINT, signal.default_int_handler)
    raise SystemExit(main())


if __name__ == "__main__":
    run()
