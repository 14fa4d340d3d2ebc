"""Rendered feeds kept in memory per feed token, plain and gzipped, keyed by the content's ETag."""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from calcast.feeds.telemetry import FetchCounter


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


class FeedCache:
    """A least-recently-used cache bounded by bytes; an entry is only returned for the ETag it was rendered as."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, RenderedFeed] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, token_digest: str, etag: str) -> RenderedFeed | None:
        with self._lock:
            entry = self._entries.get(token_digest)
            if entry is None or entry.etag != etag:
                return None
            self._entries.move_to_end(token_digest)
            return entry

    def put(self, token_digest: str, entry: RenderedFeed) -> None:
        if entry.size > self.max_bytes:
            return
        with self._lock:
            previous = self._entries.pop(token_digest, None)
            if previous is not None:
                self._bytes -= previous.size
            self._entries[token_digest] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class FeedRuntime:
    """What one server process keeps between feed requests."""

    cache: FeedCache
    fetches: FetchCounter = field(default_factory=FetchCounter)

    @classmethod
    def create(cls, max_cache_bytes: int) -> FeedRuntime:
        return cls(cache=FeedCache(max_cache_bytes))
