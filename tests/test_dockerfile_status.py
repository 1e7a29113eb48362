"""Tests for hubaction.dockerfile: the statuses of base images (current, stale, unpinned) and
the `base-images` output, with the acceptance case."""

from __future__ import annotations

import json

import pytest
from dockerfile_cases import D1, D2, D3

from hubaction.dockerfile import (
    BaseImage,
    BaseImageStatus,
    base_images_output,
    parse_dockerfile,
    status_of,
)
from hubaction.oci.reference import Digest, parse_digest, parse_reference

# --------------------------------------------------------------------------------------------
# The acceptance case: current, stale, unpinned, ARG-built, stage reference, scratch, and the
# `# syntax=` frontend image, which BuildKit pulls too

ACCEPTANCE = f"""\
# syntax=docker/dockerfile:1
ARG NODE_VERSION=20
FROM alpine:3.19@{D1} AS certs
FROM debian:12@{D2} AS tools
FROM node:${{NODE_VERSION}} AS build
RUN <<EOF
npm ci
EOF
FROM build AS test
FROM python:3.12
FROM scratch
COPY --from=certs /etc/ssl /etc/ssl
"""

CURRENT = {
    "docker.io/docker/dockerfile:1": parse_digest(D3),
    "docker.io/library/alpine:3.19": parse_digest(D1),  # pinned D1, current D1
    "docker.io/library/debian:12": parse_digest(D3),  # pinned D2, current D3
    "docker.io/library/node:20": parse_digest(D1),
    "docker.io/library/python:3.12": parse_digest(D2),
}


def test_acceptance_four_entries_with_statuses() -> None:
    found = parse_dockerfile(ACCEPTANCE)
    statuses = [status_of(i, CURRENT[str(i.lookup_reference)]) for i in found]
    assert [(s.image.line, s.image.text, s.status) for s in statuses] == [
        (1, "docker/dockerfile:1", "unpinned"),
        (3, f"alpine:3.19@{D1}", "current"),
        (4, f"debian:12@{D2}", "stale"),
        (5, "node:20", "unpinned"),
        (10, "python:3.12", "unpinned"),
    ]
    output = base_images_output(statuses)
    assert [entry["kind"] for entry in output] == ["syntax", "from", "from", "from", "from"]
    assert output[2] == {
        "reference": "docker.io/library/debian:12",
        "image": f"debian:12@{D2}",
        "line": 4,
        "pinned-digest": D2,
        "current-digest": D3,
        "platform-digest": None,
        "status": "stale",
        "pinned": f"docker.io/library/debian:12@{D3}",
        "kind": "from",
    }
    assert output[3] == {
        "reference": "docker.io/library/node:20",
        "image": "node:20",
        "line": 5,
        "pinned-digest": None,
        "current-digest": D1,
        "platform-digest": None,
        "status": "unpinned",
        "pinned": f"docker.io/library/node:20@{D1}",
        "kind": "from",
    }
    assert json.loads(json.dumps(output)) == output


# --------------------------------------------------------------------------------------------
# status_of and the output


def _image(text: str) -> BaseImage:
    return BaseImage(line=1, text=text, reference=parse_reference(text))


@pytest.mark.parametrize(
    ("text", "current", "status"),
    [
        (f"node:20@{D1}", D1, "current"),
        (f"node:20@{D1}", D2, "stale"),
        (f"node:20@{D1}", None, "stale"),
        ("node:20", D1, "unpinned"),
        ("node:20", None, "unpinned"),
        (f"node@{D1}", D1, "current"),
    ],
)
def test_status_of(text: str, current: str | None, status: str) -> None:
    digest = parse_digest(current) if current else None
    result = status_of(_image(text), digest)
    assert result == BaseImageStatus(image=_image(text), current_digest=digest, status=status)  # type: ignore[arg-type]


def test_status_must_be_known() -> None:
    with pytest.raises(ValueError, match="'fresh' is not one of"):
        BaseImageStatus(image=_image("node:20"), current_digest=None, status="fresh")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        (
            f"ghcr.io/org/app:1@{D1}",
            D2,
            {
                "reference": "ghcr.io/org/app:1",
                "image": f"ghcr.io/org/app:1@{D1}",
                "line": 1,
                "pinned-digest": D1,
                "current-digest": D2,
                "platform-digest": None,
                "status": "stale",
                "pinned": f"ghcr.io/org/app:1@{D2}",
                "kind": "from",
            },
        ),
        (
            "node:20",
            None,
            {
                "reference": "docker.io/library/node:20",
                "image": "node:20",
                "line": 1,
                "pinned-digest": None,
                "current-digest": None,
                "platform-digest": None,
                "status": "unpinned",
                "pinned": None,
                "kind": "from",
            },
        ),
        (
            f"node@{D1}",
            D1,
            {
                "reference": "docker.io/library/node",
                "image": f"node@{D1}",
                "line": 1,
                "pinned-digest": D1,
                "current-digest": D1,
                "platform-digest": None,
                "status": "current",
                "pinned": f"docker.io/library/node@{D1}",
                "kind": "from",
            },
        ),
    ],
)
def test_base_images_output(text: str, current: str | None, expected: dict[str, object]) -> None:
    digest: Digest | None = parse_digest(current) if current else None
    assert base_images_output([status_of(_image(text), digest)]) == [expected]
    assert base_images_output([]) == []
