"""Output files that never cost the user data: ``--out FILE`` of batch and synth.

* An output path that is one of the command's inputs (the same file, or a file inside an
  input folder) is refused before anything is opened: writing it would truncate the input.
* A regular file is written as ``FILE.partial`` in the same folder and renamed over
  ``FILE`` only when the whole output is written, so an interrupted or failed run leaves
  the previous ``FILE`` as it was; ``FILE.partial`` keeps what was written (``batch
  --resume`` continues from it). A device or pipe (``/dev/stdout``) is written directly.
* A write that fails (disk full, I/O error) ends the command with one line saying where
  the partial output is, and exit code 3.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

__all__ = ["OUTPUT_ERRNOS", "OutputFile", "output_error", "same_as_an_input"]

#: Write failures that are the machine's, not fundrules': reported in one line, exit 3.
OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EROFS, errno.EFBIG})


def output_error(exc: OSError) -> str:
    """``no space left on device``: the reason of a failed write, for a one-line message."""
    return (exc.strerror or type(exc).__name__).lower()


def same_as_an_input(out: str, inputs: Iterable[str]) -> str | None:
    """The input that ``out`` would overwrite (the same file, or inside an input folder)."""
    target = Path(out)
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError):
        return None
    for name in inputs:
        if name == "-":
            continue
        source = Path(name)
        try:
            if source.is_dir():
                real = source.resolve()
                if resolved == real or real in resolved.parents:
                    return name
            elif (target.exists() and source.exists() and os.path.samefile(target, source)) \
                    or source.resolve() == resolved:
                return name
        except (OSError, RuntimeError):
            continue
    return None


class OutputFile:
    """``--out FILE``: written as ``FILE.partial``, renamed over ``FILE`` at the end.

    ``partial`` is where the output goes until :meth:`commit`; for a device or a pipe it is
    the path itself (nothing is renamed).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            mode = os.stat(path).st_mode
        except OSError:
            mode = stat.S_IFREG  # a new file
        self.direct = not stat.S_ISREG(mode)
        self.partial = path if self.direct else f"{path}.partial"
        self.stream: TextIO | None = None

    def open(self, *, append_at: int | None = None) -> TextIO:
        """Open the partial output; raises :class:`OSError`.

        New with ``append_at=None``; else kept up to ``append_at`` bytes and continued (a
        resumed batch).
        """
        if self.direct:
            self.stream = open(self.path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        elif append_at is None:
            self.stream = open(self.partial, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        else:
            with open(self.partial, "r+b") as fh:
                fh.truncate(append_at)
            self.stream = open(self.partial, "a", encoding="utf-8", newline="\n")  # noqa: SIM115
        return self.stream

    def commit(self) -> None:
        """Flush, sync and rename the partial output over ``FILE``. Raises :class:`OSError`."""
        assert self.stream is not None
        self.stream.flush()
        if not self.direct:
            os.fsync(self.stream.fileno())
        self.stream.close()
        if not self.direct:
            os.replace(self.partial, self.path)
            _sync_folder(self.path)

    def close(self) -> None:
        """Close without renaming (after a failure); never raises."""
        if self.stream is not None and not self.stream.closed:
            with contextlib.suppress(OSError):  # unwritable buffer: what is on disk stays
                self.stream.close()

    def where(self) -> str:
        """Where the output so far is, for a message after a failure."""
        if self.direct:
            return f"the output to `{self.path}` is incomplete"
        unchanged = "is unchanged" if os.path.exists(self.path) else "was not created"
        return f"the output written so far is in `{self.partial}` (`{self.path}` {unchanged})"

    def discard(self) -> None:
        """Remove the partial output (a command with nothing to resume)."""
        self.close()
        if not self.direct:
            with contextlib.suppress(OSError):
                os.unlink(self.partial)


def _sync_folder(path: str) -> None:
    """Make the rename durable (where folders can be opened)."""
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def warn(command: str, message: str) -> None:
    """One line on stderr, prefixed with the command."""
    print(f"fundrules {command}: {message}", file=sys.stderr)
