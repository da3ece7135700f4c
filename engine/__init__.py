"""The trading core: a pure library (no Django, DRF, Celery or Channels).

It takes arrays and plain dataclasses and returns plain results. See
``docs/adr/0001-engine-is-a-library.md``.
"""

import os
import sys
from pathlib import Path

ENGINE_VERSION = "0.2.1"

CACHE_DIR_ENV = "NUMBA_CACHE_DIR"


def numba_cache_dir() -> Path:
    """Where numba keeps the compiled kernels: ``$NUMBA_CACHE_DIR``, else ``$VAR_DIR/numba``,
    else ``var/numba`` beside the engine package.

    Why not numba's default (``__pycache__`` beside each source): in the image the sources
    belong to root and the app runs as another user, who could not write there and would fall
    back to an empty per-user cache. One writable place per install, filled by ``engine.warm``,
    is what every process (web, workers, commands) then loads from."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    var = os.environ.get("VAR_DIR") or str(Path(__file__).resolve().parent.parent / "var")
    return Path(var) / "numba"


# Set before any engine module imports numba, which reads it once; if something imported
# numba earlier, its config is set too.
os.environ.setdefault(CACHE_DIR_ENV, str(numba_cache_dir()))
_numba_config = sys.modules.get("numba.core.config")
if _numba_config is not None and not getattr(_numba_config, "CACHE_DIR", ""):
    _numba_config.CACHE_DIR = os.environ[CACHE_DIR_ENV]

__all__ = ["CACHE_DIR_ENV", "ENGINE_VERSION", "numba_cache_dir"]
