"""Starts moto's server for our tests (see ../../../shared/moto-notes.md).

Usage: python3 test/support/moto_launcher.py -H 127.0.0.1 -p PORT

Corrections of moto behaviour that differs from AWS, applied before moto.server.main() runs, live
below; each is minimal and explains itself. Nothing here changes what our code sees from real AWS.
"""
import sys

from moto.server import main

if __name__ == "__main__":
    sys.exit(main())
