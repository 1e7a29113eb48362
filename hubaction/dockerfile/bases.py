"""The base images of a Dockerfile: the images its ``FROM`` lines pull, resolved as BuildKit's
``dockerfile2llb`` would (global ARGs, build args, stages, ``scratch``), the frontend image its
``# syntax=`` directive runs the build with, and their pin status.

Pure: every problem with the Dockerfile raises :class:`~hubaction.errors.InvalidInput` (for a
bad image name :class:`~hubaction.errors.InvalidReference`) naming the line.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from hubaction.dockerfile.directives import (
    BUILTIN_FRONTEND,
    detect_syntax,
    syntax_from_build_arg,
)
from hubaction.dockerfile.lexer import NoValue, expand
from hubaction.dockerfile.reader import (
    Instruction,
    parse_words,
    read_instructions,
    split_arguments,
)
from hubaction.errors import InvalidInput, InvalidReference
from hubaction.oci.platform import Platform, parse_platform
from hubaction.oci.reference import Digest, Reference, parse_reference

Status = Literal["current", "stale", "unpinned"]
"""``current``: pinned to the tag's current digest; ``stale``: pinned to another digest;
``unpinned``: the ``FROM`` names no digest."""

_STATUSES: frozenset[str] = frozenset({"current", "stale", "unpinned"})

Kind = Literal["from", "syntax"]
"""``from``: the image of a ``FROM``; ``syntax``: the frontend of the ``# syntax=`` directive."""

SYNTAX_BUILD_ARG = "BUILDKIT_SYNTAX"

BUILDKIT_PLATFORM_ARGS = frozenset(
    {
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDOSVERSION",
        "BUILDARCH",
        "BUILDVARIANT",
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETOSVERSION",
        "TARGETARCH",
        "TARGETVARIANT",
        "TARGETSTAGE",
    }
)
"""Global ARGs BuildKit defines itself (``dockerfile2llb`` ``defaultArgs``); a FROM line may use
them without declaring them. Their values come from the build, so only ``build_args`` gives them."""

# command/command.go: what instructions/parse.go knows; any other is "unknown instruction".
_INSTRUCTIONS = frozenset(
    {"add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck"}
    | {"label", "maintainer", "onbuild", "run", "shell", "stopsignal", "user", "volume"}
    | {"workdir"}
)
_SCRATCH = "scratch"  # dockerfile2llb emptyImageName: compared exactly, after expansion.
# instructions/parse.go parseBuildStageName, on the lowercased name.
_STAGE_NAME = re.compile(r"[a-z][a-z0-9_.-]*")


@dataclass(frozen=True)
class BaseImage:
    """One base image of a Dockerfile: a ``FROM`` that pulls an image (not a stage, not scratch),
    or the frontend image of its ``# syntax=`` directive (``kind``), which BuildKit pulls and
    runs to read the Dockerfile.

    ``line`` is the 1-based line where the ``FROM`` instruction (or the directive) is, 0 for
    the ``BUILDKIT_SYNTAX`` build arg; ``text`` the image as the build would pull it (ARGs
    substituted, quotes removed), ``reference`` its parsed canonical form and ``stage`` the
    ``AS`` name of the stage it starts (lowercased, as BuildKit stores it). ``platform`` is
    its ``--platform`` flag when the file gives its value (literally or through ARGs with
    values); ``platform_from_build`` when the flag uses a value only the build knows
    (``--platform=$BUILDPLATFORM``).
    """

    line: int
    text: str
    reference: Reference
    stage: str | None = None
    kind: Kind = "from"
    platform: Platform | None = None
    platform_from_build: bool = False

    @property
    def pinned_digest(self) -> Digest | None:
        """The digest the ``FROM`` pins (``node:20@sha256:...``); None for a tag only."""
        return self.reference.digest

    @property
    def lookup_reference(self) -> Reference:
        """What to ask the registry for the current digest: the tag without the pin.

        A ``FROM`` that gives only a digest (``node@sha256:...``) follows no tag, so there is
        nothing newer to find: the reference itself is returned and its lookup answers with the
        pinned digest, which makes it ``current`` as long as it exists.
        """
        if self.reference.tag is None:
            return self.reference
        return dataclasses.replace(self.reference, digest=None)


@dataclass(frozen=True)
class BaseImageSite:
    """Where a base image is named: ``word`` as written (ARGs not expanded) on the physical
    lines ``line`` .. ``end_line`` (1-based; the directive's one line for a frontend, 0 for
    the ``BUILDKIT_SYNTAX`` build arg, which is not in the file)."""

    image: BaseImage
    word: str
    line: int
    end_line: int


@dataclass(frozen=True)
class BaseImageStatus:
    """A base image with the current digest of its tag and what that makes of the pin.

    ``platform_digest``: for a pin on one platform's manifest of the tag's index (not on the
    index), that platform's current manifest, which such a pin is compared with and updated to.
    """

    image: BaseImage
    current_digest: Digest | None
    status: Status
    platform_digest: Digest | None = None
    platform_pin: bool = False

    @property
    def wanted_digest(self) -> Digest | None:
        """The digest to pin: the platform's manifest for a platform pin, else the tag's."""
        return self.platform_digest if self.platform_pin else self.current_digest

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise ValueError(
                f"status {self.status!r} is not one of {sorted(_STATUSES)}; use status_of()"
            )


def status_of(
    image: BaseImage,
    current: Digest | None,
    platform_digest: Digest | None = None,
    *,
    platform_pin: bool = False,
) -> BaseImageStatus:
    """Compare the pin of ``image`` with ``current``, the digest its tag points to now, and
    for a pin on a platform manifest (``platform_pin``) with ``platform_digest``, the current
    manifest of that platform.

    ``unpinned`` when the ``FROM`` gives no digest; ``current`` when the pinned digest equals
    ``current`` or, for a platform pin, ``platform_digest``; otherwise ``stale``, which includes
    a pinned image whose tag no longer resolves (``current`` is None): the pin then no longer
    matches what the tag names.
    """
    pinned = image.pinned_digest
    status: Status
    if pinned is None:
        status = "unpinned"
    elif pinned == current or (platform_pin and pinned == platform_digest):
        status = "current"
    else:
        status = "stale"
    return BaseImageStatus(image, current, status, platform_digest, platform_pin)


def base_images_output(statuses: Iterable[BaseImageStatus]) -> list[dict[str, str | int | None]]:
    """The JSON objects of the ``base-images`` output, one per base image, in Dockerfile order.

    ``reference`` is the canonical reference without the pin (``docker.io/library/node:20``),
    ``image`` the text as in the ``FROM``, ``pinned`` the reference to paste to pin the current
    digest (``docker.io/library/node:20@sha256:...``, None when there is no current digest);
    for a pin on a platform manifest ``platform-digest`` is that platform's current manifest,
    and ``pinned`` pins it (None for other pins).
    """
    objects: list[dict[str, str | int | None]] = []
    for entry in statuses:
        unpinned = dataclasses.replace(entry.image.reference, digest=None)
        current = entry.wanted_digest
        objects.append(
            {
                "reference": str(unpinned),
                "image": entry.image.text,
                "line": entry.image.line,
                "pinned-digest": _str_or_none(entry.image.pinned_digest),
                "current-digest": _str_or_none(entry.current_digest),
                "platform-digest": _str_or_none(entry.platform_digest),
                "status": entry.status,
                "pinned": f"{unpinned}@{current}" if current is not None else None,
                "kind": entry.image.kind,
            }
        )
    return objects


def _str_or_none(digest: Digest | None) -> str | None:
    return None if digest is None else str(digest)


def parse_dockerfile(
    text: str, *, build_args: Mapping[str, str] | None = None, path: str = "Dockerfile"
) -> list[BaseImage]:
    """The base images of the Dockerfile ``text``, in order, each once: the ``# syntax=``
    frontend first (none for BuildKit's built-in ``dockerfile.v0``), then the ``FROM`` images.

    ``build_args`` are the ``--build-arg`` values of the build: they override the defaults of
    global ARGs and give the platform ARGs (``TARGETARCH`` ...) their values; ``BUILDKIT_SYNTAX``
    replaces the directive's frontend; others are ignored, as BuildKit ignores build args no
    ARG declares. ``path`` only names the file in messages.

    Raises :class:`~hubaction.errors.InvalidInput` naming the line for a Dockerfile BuildKit
    would refuse, a ``FROM`` whose image needs an ARG without a value, or an invalid image name
    (:class:`~hubaction.errors.InvalidReference`).
    """
    # A base image named twice is reported once (first occurrence): one lookup and one pin.
    images: dict[Reference, BaseImage] = {}
    for site in base_image_sites(text, build_args=build_args, path=path):
        images.setdefault(site.image.reference, site.image)
    return list(images.values())


def base_image_sites(
    text: str, *, build_args: Mapping[str, str] | None = None, path: str = "Dockerfile"
) -> list[BaseImageSite]:
    """Every place the Dockerfile ``text`` names a base image, in order, repeats included: what
    :func:`parse_dockerfile` reads (which raises the same errors), with the words as written
    and their lines, for :mod:`hubaction.dockerfile.rewrite`."""
    scope = _GlobalScope(path, dict(build_args or {}))
    sites: list[BaseImageSite] = []
    frontend = _syntax_frontend(text, scope.build_args, path)
    if frontend is not None:
        sites.append(BaseImageSite(frontend, frontend.text, frontend.line, frontend.line))
    saw_from = False
    for instruction in read_instructions(text, path):
        command = instruction.command.lower()
        if command not in _INSTRUCTIONS:
            raise InvalidInput(
                f"{path} line {instruction.line}: unknown instruction: {instruction.command} "
                "(BuildKit refuses the Dockerfile). If it is meant as a heredoc line: "
                "`<<- EOF` (a blank after the -) and the exec form `RUN [...] <<EOF` start none"
            )
        if command == "from":
            saw_from = True
            site = _from_instruction(instruction, scope)
            if site is not None:
                sites.append(site)
        elif not saw_from:
            # ARGs inside a stage are stage-scoped and never reach a FROM line.
            _before_first_from(instruction, scope)
    if not saw_from:
        raise InvalidInput(
            f"{path} has no FROM instruction, so it has no base image and builds nothing; "
            "check that the path names a Dockerfile"
        )
    return sites


def _syntax_frontend(text: str, build_args: Mapping[str, str], path: str) -> BaseImage | None:
    """The frontend image BuildKit hands the build to (frontend/dockerfile/builder/build.go):
    the ``BUILDKIT_SYNTAX`` build arg, else the ``# syntax=`` directive. Any image is run as
    a frontend, a known one or not: it is a base image like a ``FROM``."""
    if SYNTAX_BUILD_ARG in build_args:
        line, image = 0, syntax_from_build_arg(build_args[SYNTAX_BUILD_ARG])
        where = f"the {SYNTAX_BUILD_ARG} build arg"
    elif (directive := detect_syntax(text)) is not None:
        line, image = directive.line, directive.image
        where = f"{path} line {line}"
    else:
        return None
    if image == BUILTIN_FRONTEND:
        return None
    if not image:
        raise InvalidInput(
            f"{where}: the syntax directive names no frontend image; write e.g. "
            "# syntax=docker/dockerfile:1, or remove it"
        )
    try:
        reference = parse_reference(image)
    except InvalidReference as error:
        raise type(error)(
            f"{where}: {error}; fix the frontend image of the syntax directive"
        ) from None
    return BaseImage(line=line, text=image, reference=reference, kind="syntax")


@dataclass
class _GlobalScope:
    """What a ``FROM`` line sees: the global ARGs so far and the stages started so far.

    BuildKit expands a variable without a value (an ARG without default and no build arg, one
    never declared, or a platform ARG) to an empty string. Here such a variable is a
    :class:`NoValue` and a ``FROM`` that needs it is an error naming the ARG: the image the
    build pulls then depends on something the file does not say.
    """

    path: str
    build_args: Mapping[str, str]
    variables: dict[str, str | NoValue] = field(default_factory=dict)
    stages: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for name in BUILDKIT_PLATFORM_ARGS:
            # Set by BuildKit, to a value only the build knows.
            reason = _platform_arg_reason(name)
            self.variables[name] = self.build_args.get(name, NoValue(reason, unset=False))

    def where(self, instruction: Instruction) -> str:
        return f"{self.path} line {instruction.line}"


def _platform_arg_reason(name: str) -> str:
    return (
        f"{name} is filled in by BuildKit from the build's platform or target; "
        f"pass {name} as a build arg to resolve it"
    )


def _before_first_from(instruction: Instruction, scope: _GlobalScope) -> None:
    if instruction.command.lower() != "arg":
        raise InvalidInput(
            f"{scope.where(instruction)}: {instruction.command.upper()} comes before the "
            "first FROM; only ARG instructions may precede it (BuildKit: no build stage in "
            "current context). Move it below a FROM."
        )
    _declare_args(instruction, scope)


def _from_instruction(instruction: Instruction, scope: _GlobalScope) -> BaseImageSite | None:
    """The base image of one ``FROM`` (None for a stage or scratch); registers its stage name."""
    where = scope.where(instruction)
    # Unknown flags are skipped, so a newer Dockerfile syntax does not break the check. A flag
    # without a value is refused, as BuildKit does.
    platform: Platform | None = None
    from_build = False
    for flag in instruction.flags:
        name, equals, value = flag.partition("=")
        if not equals:
            raise InvalidInput(
                f"{where}: FROM flag {flag!r} has no value; write it as {flag}=<value>"
            )
        if name == "--platform":
            platform, from_build = _platform_flag(value, instruction.escape, scope, where)
    word, stage = _image_and_stage(instruction, where)
    text = _image_text(word, instruction.escape, scope, where)
    # dockerfile2llb addState: an earlier stage is looked up by the expanded name as written
    # (stage names were lowercased), before the name is an image or scratch.
    is_stage = text in scope.stages
    if stage is not None:
        scope.stages.add(stage)
    if is_stage or text == _SCRATCH:
        return None
    try:
        reference = parse_reference(text)
    except InvalidReference as error:
        raise type(error)(f"{where}: {error}; fix the image in this FROM line") from None
    image = BaseImage(instruction.line, text, reference, stage, "from", platform, from_build)
    return BaseImageSite(image, word, instruction.line, instruction.end_line or instruction.line)


def _platform_flag(
    value: str, escape: str, scope: _GlobalScope, where: str
) -> tuple[Platform | None, bool]:
    """``--platform=value``: ``(the platform, False)`` when the file gives it, ``(None, True)``
    when it needs a value only the build has (``$BUILDPLATFORM``, an ARG without default) or
    is no platform this check can read."""
    text, missing = expand(value, escape, scope.variables, where)
    if missing:
        return None, True
    if not text:
        return None, False
    try:
        return parse_platform(text), False
    except InvalidInput:
        # The build would refuse it; the check only loses the platform, as for $BUILDPLATFORM.
        return None, True


def _image_and_stage(instruction: Instruction, where: str) -> tuple[str, str | None]:
    """``FROM <image> [AS <stage>]``: the image word as written and the stage, lowercased."""
    words = split_arguments(instruction.args)
    if len(words) == 3 and words[1].lower() == "as":
        stage = words[2].lower()
        if not _STAGE_NAME.fullmatch(stage):
            raise InvalidInput(
                f"{where}: invalid build stage name {words[2]!r}: a stage name starts with a "
                "letter and has only letters, digits, '-', '_' and '.'"
            )
        return words[0], stage
    if len(words) != 1:
        raise InvalidInput(
            f"{where}: FROM takes an image and optionally 'AS <name>' "
            f"(one or three arguments), got {len(words)}: {instruction.args!r}"
        )
    return words[0], None


def _image_text(word: str, escape: str, scope: _GlobalScope, where: str) -> str:
    """The image of a ``FROM`` with its variables substituted; each one needs a value."""
    text, missing = expand(word, escape, scope.variables, where)
    if missing:
        raise InvalidInput(
            f"{where}: the image in FROM {word!r} cannot be resolved: "
            + "; ".join(missing.values())
        )
    if not text:
        raise InvalidInput(f"{where}: the image in FROM {word!r} expands to an empty string")
    return text


def _declare_args(instruction: Instruction, scope: _GlobalScope) -> None:
    """Add the global ARGs of one ``ARG`` instruction to the scope (dockerfile2llb buildMetaArgs).

    Build args override defaults; a default may use earlier global ARGs, and one that uses a
    variable without a value makes the ARG itself have none.
    """
    where = scope.where(instruction)
    words = parse_words(instruction.args, instruction.escape)
    if not words:
        raise InvalidInput(f"{where}: ARG needs a name, e.g. ARG VERSION=1.0")
    for word in words:
        name, equals, default = word.partition("=")
        if not name:
            raise InvalidInput(f"{where}: ARG {word!r} has an empty name; write NAME=value")
        if name in scope.build_args:
            scope.variables[name] = scope.build_args[name]
        elif equals:
            scope.variables[name] = _default_value(name, default, instruction.escape, scope, where)
        elif name not in scope.variables:
            # BuildKit leaves an earlier value in place for a repeated bare `ARG NAME`.
            scope.variables[name] = NoValue(
                f"ARG {name} ({where}) has no default value and no build arg sets it: give it "
                f"a default (ARG {name}=<value>) or pass {name} as a build arg"
            )


def _default_value(
    name: str, default: str, escape: str, scope: _GlobalScope, where: str
) -> str | NoValue:
    value, missing = expand(default, escape, scope.variables, where)
    if not missing:
        return value
    uses = ", ".join(f"${var}" for var in missing)
    # BuildKit sets the ARG to the expansion, with the values hubaction lacks.
    return NoValue(
        f"the default of ARG {name} ({where}) uses {uses} without a value: "
        + "; ".join(missing.values()),
        unset=False,
    )
