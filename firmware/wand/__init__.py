"""microwand firmware package. Nothing here touches hardware at import."""

VERSION = "0.1.0"
