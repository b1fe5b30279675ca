"""The extract stage: declarative REST endpoints -> gzip NDJSON files in the lake.

Modules, one idea each: `auth` (httpx authenticators), `retry` (backoff policy),
`http` (client and page fetch), `links` (RFC 8288), `records` (dotted paths),
`pagination` (one paginator per kind), `pages` (ordered, concurrent page walk),
`incremental` (bookmarks and the overlap rule), `writer` (files and manifests),
`workers` (whole pages worked in other processes, ``extract.workers``), `worked`
(what a worker made of a page), `progress`, `summary`, `demo` (the bundled API for
``base_url: demo``) and `job` (`run_extract`, which ties them together).
"""

from glueflake.extract.incremental import Bookmark, read_bookmark
from glueflake.extract.job import run_extract
from glueflake.extract.summary import EntityResult, ExtractSummary

__all__ = ["Bookmark", "EntityResult", "ExtractSummary", "read_bookmark", "run_extract"]
