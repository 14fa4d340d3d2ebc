"""Rendered feeds kept in memory per feed token, plain and gzipped, keyed by the content's ETag; and the answers
ready to send from memory (`Served`), used while `FeedChanges` vouches for them."""

from __future__ import annotations

import contextlib
import gzip
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from calcast.feeds.telemetry import FetchCounter
from calcast.feeds.watcher import FeedChanges

RawHeaders = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class RenderedFeed:
    etag: str
    body: bytes
    gzip_body: bytes

    @classmethod
    def of(cls, etag: str, body: bytes) -> RenderedFeed:
        # mtime=0 keeps the gzipped bytes identical for identical content.
        return cls(etag=etag, body=body, gzip_body=gzip.compress(body, compresslevel=6, mtime=0))

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzip_body)


@dataclass(frozen=True)
class Served:
    """A feed URL's answer as read at clock value `as_of`, with the headers of each variant prepared."""

    subscription_id: str
    calendar_id: str
    as_of: int
    expires_at: float  # seconds since the epoch at which time alone changes the feed (inf: never)
    feed: RenderedFeed
    quoted_etags: tuple[bytes, bytes]  # as sent: plain and gzip variants
    last_modified: datetime
    last_modified_http: bytes
    plain: RawHeaders  # 200, identity
    gzipped: RawHeaders  # 200, gzip
    not_modified: RawHeaders  # 304 to a client of the identity variant
    not_modified_gzipped: RawHeaders


class FeedCache:
    """A least-recently-used cache bounded by bytes; an entry is only returned for the ETag it was rendered as."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, RenderedFeed] = OrderedDict()
        # Read without the lock on the event loop (a dict lookup is atomic); written under it.
        self.served: dict[str, Served] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, token_digest: str, etag: str) -> RenderedFeed | None:
        with self._lock:
            entry = self._entries.get(token_digest)
            if entry is None or entry.etag != etag:
                return None
            self._entries.move_to_end(token_digest)
            return entry

    def touch(self, token_digest: str) -> None:
        """Mark an entry as used (an answer served from memory), without waiting for the lock."""
        with contextlib.suppress(KeyError):
            self._entries.move_to_end(token_digest)

    def put_served(self, token_digest: str, served: Served) -> None:
        """Keep an answer to send from memory, as long as its bytes are in the cache."""
        with self._lock:
            entry = self._entries.get(token_digest)
            if entry is not None and entry.etag == served.feed.etag:
                self.served[token_digest] = served

    def put(self, token_digest: str, entry: RenderedFeed) -> None:
        if entry.size > self.max_bytes:
            return
        with self._lock:
            previous = self._entries.pop(token_digest, None)
            if previous is not None:
                self._bytes -= previous.size
                if previous.etag != entry.etag:
                    self.served.pop(token_digest, None)
            self._entries[token_digest] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes:
                evicted_digest, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size
                self.served.pop(evicted_digest, None)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class FeedRuntime:
    """What one server process keeps between feed requests."""

    cache: FeedCache
    fetches: FetchCounter = field(default_factory=FetchCounter)
    changes: FeedChanges = field(default_factory=FeedChanges)

    @classmethod
    def create(cls, max_cache_bytes: int) -> FeedRuntime:
        return cls(cache=FeedCache(max_cache_bytes))
