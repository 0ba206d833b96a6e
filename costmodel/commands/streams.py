"""The user's environment, as opposed to the user's input or a bug: standard streams that are
closed, full (/dev/full, a full disk), gone (a reader that quit: `| head -c0`) or unable to hold
non-ASCII text (LC_ALL=C PYTHONIOENCODING=ascii). None of these is a bug (exit 70): each gets one
line on stderr and its own exit code (docs/errors.md), and a broken pipe exits quietly as other
Unix tools do.
"""

import codecs
import errno
import io
import os
import sys
from typing import TextIO

EXIT_IO_ERROR = 74  # sysexits.h EX_IOERR: output could not be written (full disk, closed stdout)
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a tool whose reader went away

_GONE = (errno.EPIPE, errno.ECONNRESET)


def _encodes_unicode(stream: TextIO) -> bool:
    try:
        return codecs.lookup(stream.encoding or "ascii").name.startswith("utf")
    except LookupError:
        return False


def prepare_streams() -> int | None:
    """Before a command runs: an exit code if stdout cannot be used at all (closed), else None.
    A stream whose encoding cannot hold every character (an ASCII-only locale) writes '?' for
    the ones it cannot (the tables use '·', '±', '…'), rather than failing halfway."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and not _encodes_unicode(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    if sys.stdout is None or _closed(sys.stdout):
        say("cannot write to standard output: it is closed")
        return EXIT_IO_ERROR
    return None


def _closed(stream: TextIO) -> bool:
    if getattr(stream, "closed", False):
        return True
    try:
        os.fstat(stream.fileno())
    except io.UnsupportedOperation:  # a stream without a descriptor (an in-memory buffer) is open
        return False
    except (OSError, ValueError):  # EBADF: the descriptor was closed before we started
        return True
    return False


def say(message: str) -> None:
    """One line on stderr, if stderr can take it (it may be closed or full as well)."""
    try:
        if sys.stderr is not None:
            sys.stderr.write(f"costmodel: {message}\n")
            sys.stderr.flush()
    except (OSError, ValueError):
        pass


def stream_failure(exc: OSError) -> int:
    """The exit code for an OSError raised while writing output; says why unless the reader went
    away (a broken pipe is not news to the user who closed it)."""
    _silence_stdout()  # what is still buffered cannot be written either: say it once
    if isinstance(exc, BrokenPipeError) or exc.errno in _GONE:
        return EXIT_BROKEN_PIPE
    reason = exc.strerror or str(exc)
    say(f"cannot write output: {reason}")
    return EXIT_IO_ERROR


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing at exit does not raise again (Python's advice
    for SIGPIPE: https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
