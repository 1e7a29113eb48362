"""Dockerfiles read as BuildKit reads them (``reader``, ``lexer``), and the base images their
``FROM`` lines pull (``bases``)."""

from hubaction.dockerfile.bases import (
    BUILDKIT_PLATFORM_ARGS,
    BaseImage,
    BaseImageStatus,
    Status,
    base_images_output,
    parse_dockerfile,
    status_of,
)

__all__ = [
    "BUILDKIT_PLATFORM_ARGS",
    "BaseImage",
    "BaseImageStatus",
    "Status",
    "base_images_output",
    "parse_dockerfile",
    "status_of",
]
