"""The `wandctl` subcommands: one module each, the argparse side only.

Each module has `register(subparsers)`, which adds its parser and sets `func`
to `run(args) -> int`; `wandctl.cli.COMMAND_MODULES` lists them in the order
`wandctl --help` shows them. The work is in the library modules beside this
package (wandctl.deploy, simboard.simrun, wandctl.image, ...).
"""
