"""Settings by environment: ``base`` (embedded or services), ``production``, ``test``."""
