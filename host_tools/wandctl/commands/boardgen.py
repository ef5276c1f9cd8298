"""wandctl boardgen: regenerate firmware/wand/board.py from hardware/board.json."""

from wandctl import boardgen


def register(sub):
    p = sub.add_parser("boardgen", help="regenerate firmware/wand/board.py from hardware/board.json",
                       description=__doc__)
    p.add_argument("--check", action="store_true", help="only check that board.py is up to date")
    p.set_defaults(func=run)


def run(args):
    from wandctl.errors import WandctlError

    if args.check:
        if not boardgen.write(check_only=True):
            raise WandctlError("firmware/wand/board.py is out of date: run `wandctl boardgen`")
        print("board.py is up to date")
        return 0
    boardgen.write()
    print("wrote %s" % boardgen.BOARD_PY)
    return 0
