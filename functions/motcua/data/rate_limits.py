"""Fixed-window request counters per client (``RATE#<limit>#<client digest>`` / ``<window start>``).

One atomic ADD per request; the item expires (TTL) a window after its own window ends. The client is
stored as a digest of the window and its address, never the address itself: an IP address is personal
data, and the counter only has to tell clients apart within one window.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from pynamodb.attributes import NumberAttribute

from motcua.data import table
from motcua.data.models import Item


class _CounterItem(Item):
    class Meta(Item.Meta):  # follows ``models.bind`` like the models in ``models``
        pass

    hits = NumberAttribute(default=0)
    expiration = NumberAttribute(attr_name=table.TTL_ATTRIBUTE)


class RateCounters:
    def hit(self, limit_name: str, client: str, window_start: datetime, window: timedelta) -> int:
        """Count one request of ``client`` in the window starting at ``window_start``; return the count."""
        start = window_start.isoformat()
        digest = hashlib.sha256(f"{limit_name}|{start}|{client}".encode()).hexdigest()[:32]
        item = _CounterItem(pk=f"RATE#{limit_name}#{digest}", sk=start)
        expires = int((window_start + 2 * window).timestamp())
        item.update(actions=[_CounterItem.hits.add(1), _CounterItem.expiration.set(expires)])
        return int(item.hits)
