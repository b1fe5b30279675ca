"""The one exception family every stage raises for failures a user should read.

The CLI prints a `PipelineError` as one line (no traceback) and exits non-zero.
Subclasses name the stage; their message names the endpoint, file, line or test.
"""

from __future__ import annotations


class PipelineError(Exception):
    """A stage failed in a way the user can act on."""


class ExtractError(PipelineError):
    """Extracting from a REST endpoint failed (after retries)."""


class LakeError(PipelineError):
    """A lake object does not hold what the lake's layout promises (a bad manifest)."""


class LoadError(PipelineError):
    """Loading lake files into the warehouse failed or was aborted."""


class WarehouseBusy(LoadError):
    """Another process holds the warehouse's lock (a load, a watch, dbt): try later."""


class TransformError(PipelineError):
    """dbt failed: a model errored or a test failed."""
