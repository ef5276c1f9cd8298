"""The one exception the virtual board raises to its callers."""


class VirtualBoardError(RuntimeError):
    pass
