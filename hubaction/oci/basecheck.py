"""Is an image still built on the current content of its base image, for one platform?

The pure half of the two ways to tell: the OCI base-image annotations (:func:`base_annotation`,
:func:`compare_by_annotation`) and the base's layers as a prefix of the image's
(:func:`built_on`). The registry client fetches the manifests; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from hubaction.errors import InvalidDigest
from hubaction.oci.digest import Digest, parse_digest
from hubaction.oci.reference import Reference

__all__ = [
    "BASE_DIGEST_ANNOTATION",
    "BASE_NAME_ANNOTATION",
    "BaseAnnotation",
    "BaseComparison",
    "Method",
    "base_annotation",
    "built_on",
    "compare_by_annotation",
]

# OCI image-spec annotations.md. Buildah, Podman and `crane append` write them on the image
# manifest, any build can add them (`docker buildx build --annotation`); BuildKit does not set
# them by itself (moby/buildkit#6202).
BASE_DIGEST_ANNOTATION = "org.opencontainers.image.base.digest"
"""OCI image-spec pre-defined annotation: digest of the image this image is based on."""

BASE_NAME_ANNOTATION = "org.opencontainers.image.base.name"
"""OCI image-spec pre-defined annotation: reference of the image this image is based on."""

Method = Literal["annotation", "layers"]
"""How a comparison was decided: from the base annotations or from the layer digests."""

_METHODS: frozenset[str] = frozenset({"annotation", "layers"})


@dataclass(frozen=True)
class BaseAnnotation:
    """The base-image annotations of one manifest or index.

    ``name`` is the annotated reference as written (the spec asks for a fully qualified one but
    builders and hand-written annotations vary, so it is kept as text for display); ``digest``
    is the annotated digest, or None when it is absent, empty or not a valid digest.
    """

    name: str | None
    digest: Digest | None


def base_annotation(annotations: Mapping[str, str]) -> BaseAnnotation | None:
    """The base-image annotations in ``annotations`` (of a manifest or an index), if any.

    None when neither annotation is present with a non-empty value. The image-spec allows empty
    values, which say nothing, so they count as absent. An annotated digest that does not parse
    counts as absent too: annotations are advisory metadata written by whoever built the image,
    and a bad one should send the check to the layers rather than fail it.
    """
    name = annotations.get(BASE_NAME_ANNOTATION) or None
    digest_text = annotations.get(BASE_DIGEST_ANNOTATION) or None
    digest: Digest | None = None
    if digest_text is not None:
        try:
            digest = parse_digest(digest_text)
        except InvalidDigest:
            digest = None
    if name is None and digest is None:
        return None
    return BaseAnnotation(name=name, digest=digest)


def built_on(image_layers: Sequence[Digest], base_layers: Sequence[Digest]) -> bool:
    """Whether ``base_layers`` are the first layers of ``image_layers``, in the same order.

    An image built ``FROM base`` starts with exactly the base's layers for the same platform
    (image-spec manifest.md: layers apply in order; ``FROM`` adds layers, never rewrites them).

    An image identical in layers to its base (a rebuild that only changed the config) is built on
    it. A base without layers (``scratch``-like) is trivially a prefix of any image: True. Layer
    digests are compressed-blob digests, so the same content recompressed counts as different;
    that is what a registry can compare without downloading layers.
    """
    if len(base_layers) > len(image_layers):
        return False
    return all(image == base for image, base in zip(image_layers, base_layers, strict=False))


@dataclass(frozen=True)
class BaseComparison:
    """The answer for one platform: has the base moved on since the image was built?

    ``base_digest`` is the base's current digest for this platform (its platform manifest),
    ``changed`` True when the image is no longer built on it, ``method`` how that was decided,
    and ``detail`` one human sentence for the summary. ``missing``: a platform manifest the
    index lists was not in the registry (Quay's sparse indexes), so nothing was compared.
    ``manifest_digest`` is the image's manifest compared (to tell apart entries of one
    platform, as Windows builds).
    """

    platform: str
    base_digest: Digest
    changed: bool
    method: Method
    detail: str
    manifest_digest: Digest | None = None
    missing: bool = False

    def __post_init__(self) -> None:
        if self.method not in _METHODS:
            raise ValueError(f"method {self.method!r} is not one of {sorted(_METHODS)}")


def compare_by_annotation(
    annotation: BaseAnnotation, base_index_digest: Digest, base_platform_digest: Digest | None
) -> bool | None:
    """Whether the base changed, judged by the annotated digest; None when there is none.

    ``base_index_digest`` is the digest the base's tag points to now (an index for a
    multi-platform base, else the manifest) and ``base_platform_digest`` the current manifest for
    the image's platform (None when the base is single-platform, or the same as the index). The
    annotation may name either, depending on what the build resolved, so equal to either means
    not changed.
    """
    if annotation.digest is None:
        return None
    current = {base_index_digest}
    if base_platform_digest is not None:
        current.add(base_platform_digest)
    return annotation.digest not in current


@dataclass(frozen=True)
class BaseCheck:
    """The base-image comparison: the base's current digest and one answer per platform."""

    base: Reference
    base_digest: Digest
    comparisons: tuple[BaseComparison, ...]
    chosen: BaseComparison | None

    @property
    def changed(self) -> bool:
        """The answer for the chosen platform (all platforms when none was chosen)."""
        if self.chosen is not None:
            return self.chosen.changed
        return any(c.changed for c in self.comparisons)

    @property
    def any_changed(self) -> bool:
        """Whether any platform's base moved on (``platform: all``)."""
        return any(c.changed for c in self.comparisons)

    @property
    def changed_platforms(self) -> tuple[str, ...]:
        """The platforms whose base moved on, in the image's order, each once."""
        return tuple(dict.fromkeys(c.platform for c in self.comparisons if c.changed))
