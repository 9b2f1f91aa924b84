"""``python -m mnist_course`` and the ``mnist-course`` command.

The command line imports torch while it starts; Ctrl-C in that second ends it quietly (status
130), as it does once it runs.
"""


def run() -> None:
    try:
        from .cli import main
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    raise SystemExit(main())


if __name__ == "__main__":
    run()
