"""Files written whole or not at all: reports, history runs and profiles go through one temporary file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: Path, temporary: Path | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `path` to write; when the block ends, rename it over `path` (readers see
    the old file or the new one, never half of one). On any error or interrupt (SIGINT, SIGTERM) the
    temporary file is removed and the previous `path` stays as it was."""
    tmp = temporary or path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
