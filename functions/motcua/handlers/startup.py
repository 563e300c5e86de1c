"""A handler module's first import: Python's cyclic garbage collector pauses while the handler's modules load.

Importing a handler allocates hundreds of thousands of objects that live as long as the process (classes,
pydantic's model schemas, botocore's service models, Powertools' resolver), and each burst of allocations
starts a collection that walks them all again: about an eighth of the API's import CPU, measured from the
artefact (docs/benchmarks.md, cold start). The handler module calls :func:`loaded` as its last statement:
what the import built moves to the permanent generation (``gc.freeze``), which later collections skip, and
collection resumes for what the invocations allocate.
"""

from __future__ import annotations

import gc

gc.disable()


def loaded() -> None:
    """The handler module is imported: keep what it built out of every later collection, and collect again."""
    gc.freeze()
    gc.enable()
