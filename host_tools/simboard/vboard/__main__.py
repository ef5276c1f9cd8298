"""python -m simboard.vboard [--flash DIR] [--seed N] [--bootloader]: serve a virtual board on a pty."""

import argparse
import sys

from simboard.vboard import add_serve_arguments, serve


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simboard.vboard", description=__doc__)
    add_serve_arguments(parser)
    return serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
