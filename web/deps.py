"""Request dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rag.pipeline import Pipeline


def get_pipeline(request: Request) -> Pipeline:
    """The pipeline loaded once by the lifespan (overridable in tests)."""
    pipeline: Pipeline | None = request.app.state.pipeline
    if pipeline is None:
        raise request.app.state.load_error
    return pipeline


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
