"""The public contract in code: every input with its default, every output name.

``action.yml`` declares the same names and defaults; a test keeps the two in step. Pure.
"""

from __future__ import annotations

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
