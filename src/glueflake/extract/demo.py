"""Serving a ``base_url: demo`` source with the bundled demo API on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from glueflake.config import ApiKeyAuth, PipelineConfig, Source


@contextmanager
def source_base_url(config: PipelineConfig, source: Source) -> Iterator[str]:
    """The source's base URL; for a demo source, a demo API started for the duration."""
    if not source.is_demo:
        yield source.base_url
        return
    from glueflake.demo_api import DemoServer, DemoSettings

    settings = DemoSettings(**config.demo.model_dump())
    if isinstance(source.auth, ApiKeyAuth):
        settings = settings.model_copy(update={"api_key": source.auth.key.get_secret_value()})
    with DemoServer(settings, host="127.0.0.1", port=0) as server:
        yield str(server.base_url).rstrip("/")
