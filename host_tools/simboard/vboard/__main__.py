"""python -m wandctl.vboard [--flash DIR] [--seed N] [--bootloader]: serve a virtual board on a pty."""

import argparse
import sys

from wandctl.vboard import add_serve_arguments, serve


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wandctl.vboard", description=__doc__)
    add_serve_arguments(parser)
    return serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
