"""Every benchmark script's first import: the repo's import roots first on ``sys.path``, and this folder off it.

A script's folder is ``sys.path[0]``, and ``benchmarks/calendar.py`` there would shadow the standard library's
``calendar`` (``urllib.request`` imports it through ``email``). ``make bench`` sets PYTHONPATH to the roots too;
this makes a bare ``python benchmarks/<name>.py`` work the same. Imported before anything that could import
``calendar``, hence its place in each script (after ``from __future__``, then ``# isort: split``).
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
for _entry in (os.path.join(ROOT, "functions"), ROOT):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)
