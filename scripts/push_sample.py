"""Push the demo's multi-platform sample image into a registry and print what was pushed.

The self-test workflow (.github/workflows/self-test.yml) runs this against its ``registry:2``
service, then checks hubaction's outputs against these values. Each line is ``name=value``, so
with ``--github-output`` they become the step's outputs.

    python scripts/push_sample.py http://localhost:5000 [--github-output FILE]
        [--dockerfile PATH --dockerfile-host registry:5000]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from registryfixtures.images import (  # noqa: E402
    Blob,
    PushedImage,
    Pusher,
    new_session,
    push_oci_index,
)

#: Version tags pushed on top of the demo's ``1`` and ``latest``, for the tag-filter check.
VERSION_TAGS = ("1.0.0", "1.2.0", "1.10.0", "2.0.0-rc.1")
#: The platform whose manifest and config the inspect check asks for.
PLATFORM = "linux/arm64/v8"


def push_sample(pusher: Pusher) -> PushedImage:
    """The demo's image (tags ``1`` and ``latest``) plus :data:`VERSION_TAGS` on the same index."""
    image = push_oci_index(pusher)
    index = Blob(image.raw, image.media_type)
    for tag in VERSION_TAGS:
        pusher.manifest(image.repository, tag, index)
    older = stale_index(image)
    pusher.manifest(image.repository, older.digest, older)
    return image


def stale_index(image: PushedImage) -> Blob:
    """An older index of the repository (its first platform only) that no tag points to: a pin
    to it is stale. (A platform manifest of the current index would not be: issue 17.)"""
    doc = json.loads(image.raw)
    doc["manifests"] = doc["manifests"][:1]
    return Blob(json.dumps(doc).encode(), image.media_type)


def sample_outputs(image: PushedImage) -> dict[str, str]:
    """What a lookup of ``image`` must answer, by output name of this step."""
    chosen = image.platforms[PLATFORM]
    stale = stale_index(image).digest
    return {
        "repository": image.repository,
        "tag": image.tags[0],
        "digest": image.digest,
        "media-type": image.media_type,
        "platform": PLATFORM,
        "platform-digest": chosen.manifest_digest,
        "config-digest": chosen.config_digest,
        # In the index's order, as the action lists them.
        "platforms": json.dumps(list(image.platforms), separators=(",", ":")),
        "stale-digest": stale,
    }


def dockerfile_text(host: str, outputs: dict[str, str]) -> str:
    """Two FROM lines: one pinned to the tag's current digest, one pinned to a stale digest."""
    name = f"{host}/{outputs['repository']}"
    return (
        f"FROM {name}:{outputs['tag']}@{outputs['digest']} AS current\n"
        f"FROM {name}:latest@{outputs['stale-digest']}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("registry_url", help="e.g. http://localhost:5000 (an open registry)")
    parser.add_argument("--github-output", type=Path, help="append the outputs to this file")
    parser.add_argument("--dockerfile", type=Path, help="write a Dockerfile FROM the sample")
    parser.add_argument(
        "--dockerfile-host", help="registry host the Dockerfile names (as the action sees it)"
    )
    args = parser.parse_args(argv)
    if args.dockerfile is not None and not args.dockerfile_host:
        parser.error("--dockerfile needs --dockerfile-host")
    with new_session() as session:
        outputs = sample_outputs(push_sample(Pusher(args.registry_url, session)))
    lines = "".join(f"{name}={value}\n" for name, value in outputs.items())
    sys.stdout.write(lines)
    if args.github_output is not None:
        with args.github_output.open("a", encoding="utf-8") as out:
            out.write(lines)
    if args.dockerfile is not None:
        args.dockerfile.write_text(dockerfile_text(args.dockerfile_host, outputs), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
