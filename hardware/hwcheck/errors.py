"""The one error of the hardware check."""


class CheckError(RuntimeError):
    """ngspice missing, a simulation that did not run, or a board the check refuses."""
