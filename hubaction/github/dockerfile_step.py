"""The ``dockerfile`` part of a run: every base image's pin status (``base-images``), and with
``update-dockerfile`` the stale pins rewritten in the workspace (``dockerfile-updated``).

Wiring only: the lookups are :mod:`hubaction.registry.pins`, the new text
:mod:`hubaction.dockerfile.rewrite`; here they are joined and the file is written.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hubaction.errors import HubActionError, InvalidInput

if TYPE_CHECKING:
    from hubaction.dockerfile import BaseImage, BaseImageStatus
    from hubaction.dockerfile.rewrite import Rewrite
    from hubaction.github.inputs import ActionInputs
    from hubaction.github.summary import Table
    from hubaction.github.toolkit import Toolkit
    from hubaction.oci.platform import Platform
    from hubaction.oci.reference import Digest, Reference
    from hubaction.registry.client import RegistryClient


def look_up_pins(
    client: RegistryClient, images: Sequence[BaseImage], platform: Platform, what: str
) -> list[BaseImageStatus]:
    """The status of each base image; the first lookup that failed (but for a missing tag,
    which makes its pin stale) is raised with ``what`` (the input or file) for context."""
    from hubaction.registry.pins import pin_statuses

    failures: list[tuple[BaseImage, HubActionError]] = []
    statuses = pin_statuses(
        client, images, platform, on_error=lambda image, exc: failures.append((image, exc))
    )
    if failures:
        image, error = failures[0]
        raise error.within(f"{what}: looking up {image.reference.familiar} failed") from error
    return statuses


def new_pins(statuses: Sequence[BaseImageStatus], *, pin_all: bool) -> dict[Reference, Digest]:
    """What to write: each stale pin's current digest (a platform pin's platform manifest),
    with ``pin_all`` each unpinned image's index digest too."""
    pins: dict[Reference, Digest] = {}
    for entry in statuses:
        wanted = entry.wanted_digest
        if wanted is not None and (
            entry.status == "stale" or (pin_all and not entry.image.pinned_digest)
        ):
            pins[entry.image.reference] = wanted
    return pins


def unresolved(statuses: Sequence[BaseImageStatus], *, pin_all: bool) -> list[str]:
    """Warnings for the pins to update that have no digest to update to."""
    notes = []
    for entry in statuses:
        wanted = pin_all or entry.status == "stale"
        if wanted and entry.wanted_digest is None:
            image = entry.image
            why = (
                "has no manifest for the platform"
                if entry.platform_pin
                else "does not exist (any more)"
            )
            notes.append(f"line {image.line}: {image.text} {why}; its pin is left as it is")
    return notes


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path``'s content with ``text`` (UTF-8, no newline translation): a temporary
    file in the same directory, renamed over it, with the file's permission bits; a reader
    sees the old file or the new one, never half of one."""
    mode = stat.S_IMODE(path.stat().st_mode)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(text.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def dockerfile_step(
    kit: Toolkit, client: RegistryClient, inputs: ActionInputs
) -> tuple[dict[str, str], list[str | Table]]:
    """The outputs ``base-images`` and ``dockerfile-updated`` and the summary parts; with
    ``update-dockerfile``, the rewrite written."""
    from hubaction.dockerfile import base_images_output
    from hubaction.github.outputs import boolean, compact_json
    from hubaction.github.summary import dockerfile_table

    images = inputs.dockerfile_images
    statuses = look_up_pins(client, images, inputs.platform, "Input `dockerfile`")
    rows = base_images_output(statuses)
    parts: list[str | Table] = [dockerfile_table(inputs.dockerfile, rows)]
    updated = False
    if inputs.update_dockerfile:
        rewrite = _rewrite(kit, inputs.dockerfile_text, statuses, inputs.dockerfile, pin_all=False)
        if rewrite.changed:
            from hubaction.github.inputs_dockerfile import workspace_file

            try:
                write_atomically(workspace_file(inputs.dockerfile), rewrite.text)
            except OSError as exc:
                raise InvalidInput(
                    f"Input `update-dockerfile`: cannot write {inputs.dockerfile!r} "
                    f"({exc.__class__.__name__}: {exc.strerror}); check the workspace is writable"
                ) from None
            updated = True
            parts.append(_updated_note(inputs.dockerfile, rewrite))
    return {"base-images": compact_json(rows), "dockerfile-updated": boolean(updated)}, parts


def _rewrite(
    kit: Toolkit, text: str, statuses: Sequence[BaseImageStatus], path: str, *, pin_all: bool
) -> Rewrite:
    from hubaction.dockerfile.rewrite import rewrite_pins

    for note in unresolved(statuses, pin_all=pin_all):
        kit.warning(f"update-dockerfile, {path} {note}")
    rewrite = rewrite_pins(text, new_pins(statuses, pin_all=pin_all), path=path)
    for skip in rewrite.skipped:
        kit.warning(
            f"update-dockerfile, {path} line {skip.line}: {skip.image} not updated: {skip.reason}"
        )
    return rewrite


def _updated_note(path: str, rewrite: Rewrite) -> str:
    from hubaction.github.summary import md_text

    lines = ", ".join(str(edit.line) for edit in rewrite.edits)
    count = len(rewrite.edits)
    return (
        f"**Updated** {count} pin{'s' if count != 1 else ''} in {md_text(path)} (line {lines}).\n"
    )
