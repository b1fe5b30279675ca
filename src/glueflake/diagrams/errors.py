"""Exceptions raised while generating the pictures."""

from __future__ import annotations

from glueflake.errors import PipelineError


class DiagramError(PipelineError):
    """A diagram could not be produced: `dot` is missing, dbt could not parse, and so on."""
