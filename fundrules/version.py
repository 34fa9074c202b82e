"""The version of fundrules (one place: the package, the CLI and the HTTP service read it)."""

__all__ = ["VERSION"]

VERSION = "0.1.0"
