"""The trading core: a pure library (no Django, DRF, Celery or Channels).

It takes arrays and plain dataclasses and returns plain results. See
``docs/adr/0001-engine-is-a-library.md``.
"""

ENGINE_VERSION = "0.2.0"

__all__ = ["ENGINE_VERSION"]
