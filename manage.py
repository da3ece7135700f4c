#!/usr/bin/env python
"""Django's command-line utility."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "algobacktester.settings.base")
    from django.core.management import execute_from_command_line

    from algobacktester.startup import embedded_files_ensure

    embedded_files_ensure()  # var/ and the embedded key; importing settings creates nothing

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
