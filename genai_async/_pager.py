"""An async pager over list endpoints that follow ``nextPageToken`` (models, files, caches)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._normalize import to_struct
from .errors import ConfigurationError

if TYPE_CHECKING:
    from ._client import Client

T = TypeVar("T")
P = TypeVar("P")

FetchPage = Callable[[str | None], Awaitable[tuple[Sequence[T], str | None]]]


class Pager(Generic[T]):
    """Items of a paginated list, fetched page by page as you iterate.

    ``await client.files.list()`` fetches the first page and returns the pager (the official SDK's
    shape); ``async for item in pager`` (awaited or not) walks every page. ``page`` is the current
    page's items and ``next_page()`` moves on explicitly.
    """

    def __init__(self, fetch: FetchPage[T], *, name: str) -> None:
        self._fetch = fetch
        self.name = name
        self.page: Sequence[T] = ()
        self._token: str | None = None
        self._started = False
        self._index = 0

    @property
    def has_next_page(self) -> bool:
        return not self._started or bool(self._token)

    async def next_page(self) -> Sequence[T]:
        """Fetch the next page; raises IndexError when there is none."""
        if not self.has_next_page:
            raise IndexError(f"{self.name}: no more pages")
        items, token = await self._fetch(self._token)
        self._started, self._token = True, token or None
        self.page, self._index = items, 0
        return items

    def __await__(self) -> Generator[Any, None, Pager[T]]:
        return self._first().__await__()

    async def _first(self) -> Pager[T]:
        if not self._started:
            await self.next_page()
        return self

    def __aiter__(self) -> Pager[T]:
        return self

    async def __anext__(self) -> T:
        while self._index >= len(self.page):
            if not self.has_next_page:
                raise StopAsyncIteration
            await self.next_page()
        item = self.page[self._index]
        self._index += 1
        return item

    def __repr__(self) -> str:
        return f"<Pager {self.name} page={len(self.page)} items more={self.has_next_page}>"


def paged(
    client: Client,
    path: str,
    page_type: type[P],
    items: Callable[[P], Sequence[T] | None],
    *,
    config: Any,
    config_type: Any,
    name: str,
) -> Pager[T]:
    """A Pager over ``GET {path}?pageSize=&pageToken=``; the config is checked now, pages load later."""
    cfg = None if config is None else to_struct(config, config_type)
    size = getattr(cfg, "page_size", None)
    if size is not None and size <= 0:
        raise ConfigurationError(f"{name}: config.page_size must be a positive int, got {size!r}")
    first = getattr(cfg, "page_token", None) or None
    http_options = getattr(cfg, "http_options", None)

    async def fetch(token: str | None) -> tuple[Sequence[T], str | None]:
        params = {"pageSize": str(size)} if size else {}
        token = token or first  # only the first fetch has no token
        if token:
            params["pageToken"] = token
        page = await client._call("GET", path, page_type, params=params or None, http_options=http_options)
        return items(page) or (), getattr(page, "next_page_token", None) or None

    return Pager(fetch, name=name)
