"""The public contract in code: every input with its default, every output name, and how the
runner passes inputs (``INPUT_*`` variables, YAML booleans) and how ``repository`` and ``tag``
combine into one reference.

``action.yml`` declares the same names and defaults; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable

from hubaction.errors import InvalidInput
from hubaction.oci.reference import Reference, parse_digest, parse_reference, parse_tag

#: YAML 1.2 core schema booleans, exactly the set ``@actions/core`` ``getBooleanInput`` accepts.
TRUE_VALUES = ("true", "True", "TRUE")
FALSE_VALUES = ("false", "False", "FALSE")

# Input name -> default, exactly as action.yml declares them (None: no default).
INPUT_DEFAULTS: dict[str, str | None] = {
    "repository": None,
    "tag": "latest",
    "username": "",
    "password": "",
    "docker-config": "",
    "platform": "linux/amd64",
    "digest-only": "false",
    "list-tags": "true",
    "tag-filter": "",
    "tag-sort": "version",
    "max-tags": "100",
    "compare-digest": "",
    "base-image": "",
    "dockerfile": "",
    "fail-on-missing": "true",
    "namespace": "",
    "list-namespaces": "false",
    "summary": "true",
    "insecure": "false",
    "hub-url": "https://hub.docker.com",
}

# Inputs whose values are secrets: masked before anything else is printed.
SECRET_INPUTS = ("password", "docker-config")

OUTPUT_NAMES: tuple[str, ...] = (
    "digest",
    "platform-digest",
    "config-digest",
    "media-type",
    "platforms",
    "created",
    "labels",
    "pinned",
    "exists",
    "changed",
    "base-changed",
    "base-digest",
    "base-images",
    "tags",
    "tag-count",
    "latest-semver",
    "repositories",
    "namespaces",
    "rate-limit-limit",
    "rate-limit-remaining",
)


def input_variable(name: str) -> str:
    """The environment variable the runner sets for input *name*.

    Spaces become ``_`` and the name is upper-cased; hyphens are kept (``list-tags`` ->
    ``INPUT_LIST-TAGS``), as ``@actions/core`` ``getInput`` and the runner's container action
    handler both do.
    """
    return "INPUT_" + name.replace(" ", "_").upper()


TAG_FORM = "a tag such as `1.2` or a digest `sha256:<64 hex>`"


def reference_input(get_input: Callable[[str], str]) -> Reference | None:
    """The image reference the ``repository`` and ``tag`` inputs name (``None``: no
    ``repository``); ``get_input(name)`` gives an input's stripped value ('' when unset)."""
    text = get_input("repository")
    tag = get_input("tag")
    if not text:
        return None
    try:
        ref = parse_reference(text, default_tag=None)
    except InvalidInput as exc:
        raise InvalidInput(
            f"Input `repository`: {exc}. Expected a repository such as `node`, `myorg/app`, "
            "`ghcr.io/org/app` or `localhost:5000/app`, optionally with `:tag` or `@sha256:...`"
        ) from None
    carries = ref.tag is not None or ref.digest is not None
    # `tag` defaults to `latest` in action.yml, so the runner always sets it: only a value
    # other than the default conflicts with a tag or digest carried by `repository`.
    if carries:
        if tag not in ("", INPUT_DEFAULTS["tag"]):
            raise InvalidInput(
                f"Input `repository` ({text!r}) already carries a tag or digest, and input "
                f"`tag` is {tag!r}: leave `tag` empty or remove the tag from `repository`"
            )
        return ref
    tag = tag or str(INPUT_DEFAULTS["tag"])
    try:
        if ":" in tag:
            return ref.with_digest(parse_digest(tag))
        return ref.with_tag(parse_tag(tag))
    except InvalidInput as exc:
        raise InvalidInput(f"Input `tag`: {exc}. Expected {TAG_FORM}") from None
