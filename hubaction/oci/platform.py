"""Image platforms, ``os/arch[/variant]``: parsed as written, normalized and matched as
containerd's ``platforms`` package does (what ``docker pull --platform`` uses).

Multi-platform images are indexes whose entries carry a ``platform`` object (image-spec
``image-index.md``); users and registries spell one platform several ways (``aarch64``,
``arm64/v8``), so all comparison goes through :meth:`Platform.normalized`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from hubaction.errors import InvalidPlatform, PlatformNotFound, RegistryError
from hubaction.oci.wire import quote_bounded, show_bounded

__all__ = [
    "Platform",
    "format_platforms",
    "parse_platform",
    "platform_from_json",
    "select_platform",
]

T = TypeVar("T")

# containerd platforms.go `specifierRe`: each `/`-separated component of a specifier.
_COMPONENT = re.compile(r"[A-Za-z0-9_.-]+")
_EXAMPLES = "linux/amd64, linux/arm64, linux/arm/v7"
_FORM = f"expected os/arch[/variant], for example {_EXAMPLES}"
_PART_NAMES = ("operating system", "architecture", "variant")
# A message lists this many of an index's platforms, and of a part's bad characters, at most:
# a hostile index can hold thousands (one such error line was 3 MB).
_LISTED = 20
# A platform from a registry is shown as it is up to this length, else quoted and cut.
_SHOWN_PLAIN = 100

# containerd database.go `normalizeArch`: spellings from `uname -m`, Debian and Go.
# i686 is not in containerd's table but is what `uname -m` prints on 32-bit x86.
_ARCH_ALIASES = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "aarch64": "arm64",
    "i386": "386",
    "i686": "386",
}
# Debian's 32-bit ARM ports name a variant, not just an architecture.
_ARM_PORTS = {"armhf": "v7", "armel": "v6"}
# Variants written without the "v" (as /proc/cpuinfo "CPU architecture: 7" reports them).
_ARM64_VARIANTS = {"8": None, "v8": None, "v8.0": None, "9": "v9", "9.0": "v9", "v9.0": "v9"}
_ARM_BARE_VARIANTS = {"5": "v5", "6": "v6", "7": "v7", "8": "v8"}

# "v7" -> (7,), "v8.2" -> (8, 2): variants that order numerically (arm, arm64, amd64 levels).
_LEVEL = re.compile(r"v([0-9]{1,4})(?:\.([0-9]{1,4}))?")


@dataclass(frozen=True)
class Platform:
    """One platform as an index entry or a user states it; ``str()`` gives ``os/arch[/variant]``.

    Fields keep the spelling they were given; use :meth:`normalized` before comparing.
    ``os_version`` is the Windows build an image needs (``"10.0.20348.2227"``); it is not part
    of ``str()`` because the ``os/arch[/variant]`` form has no place for it.
    """

    os: str
    architecture: str
    variant: str | None = None
    os_version: str | None = None

    def __str__(self) -> str:
        if self.variant:
            return f"{self.os}/{self.architecture}/{self.variant}"
        return f"{self.os}/{self.architecture}"

    def normalized(self) -> Platform:
        """The canonical spelling, as containerd's ``platforms.Normalize`` gives it.

        Lowercases os, architecture and variant; maps ``macos`` to ``darwin``; maps architecture
        aliases (``x86_64``, ``x86-64`` -> ``amd64``; ``aarch64`` -> ``arm64``; ``i386``,
        ``i686`` -> ``386``; ``armhf`` -> ``arm/v7``; ``armel`` -> ``arm/v6``); and spells the
        default variant one way: ``arm64/v8`` and ``amd64/v1`` have none, ``arm`` has ``v7``.
        ``os_version`` is kept as it is.
        """
        os = self.os.lower()
        if os == "macos":
            os = "darwin"
        arch = self.architecture.lower()
        variant = self.variant.lower() if self.variant else None
        arch = _ARCH_ALIASES.get(arch, arch)
        if arch in _ARM_PORTS:
            # The Debian port name fixes the ARM version, overriding any variant given.
            arch, variant = "arm", _ARM_PORTS[arch]
        elif arch == "386":
            # containerd drops the variant of i386; 386 has no variants in use.
            variant = None
        elif arch == "amd64" and variant == "v1":
            variant = None
        elif arch == "arm64" and variant is not None:
            variant = _ARM64_VARIANTS.get(variant, variant)
        elif arch == "arm":
            # Unqualified "arm" means ARMv7 (armhf), the only 32-bit ARM most images ship.
            variant = "v7" if variant is None else _ARM_BARE_VARIANTS.get(variant, variant)
        return Platform(os, arch, variant, self.os_version)

    @property
    def is_attestation(self) -> bool:
        """Whether this is a BuildKit attestation entry (``unknown/unknown``), not an image."""
        return self.os.lower() == "unknown" or self.architecture.lower() == "unknown"


def parse_platform(text: str) -> Platform:
    """Parse ``os/arch[/variant]`` as given to ``--platform`` or the ``platform`` input.

    Each part is letters, digits, ``_``, ``.`` and ``-`` (containerd's ``specifierRe``). The
    text is kept as written, not lowercased or normalized, so ``str()`` gives it back; matching
    normalizes. Unlike containerd, a lone ``linux`` or ``arm64`` is refused: there is no host
    platform to fill in the missing half from, and guessing the runner's would be a surprise.
    The Windows ``windows(10.0.20348)/amd64`` form is not accepted either.

    Raises :class:`~hubaction.errors.InvalidPlatform` saying what is wrong and the form to use.
    """
    problem = _platform_problem(text)
    if problem is not None:
        raise InvalidPlatform(f"invalid platform {quote_bounded(text)}: {problem}; {_FORM}")
    parts = text.split("/")
    return Platform(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


def _platform_problem(text: str) -> str | None:
    """What makes ``text`` not a platform, or ``None`` if it is one."""
    if not text:
        return "it is empty"
    if text != text.strip():
        return "it has leading or trailing whitespace"
    if "," in text:
        return "give one platform, not a list"
    parts = text.split("/")
    if len(parts) == 1:
        return "it has no '/' between operating system and architecture"
    if len(parts) > 3:
        return f"it has {len(parts)} '/'-separated parts, at most 3 are allowed"
    for name, part in zip(_PART_NAMES, parts, strict=False):
        if not part:
            return f"the {name} is empty"
        if not _COMPONENT.fullmatch(part):
            bad = sorted({c for c in part if not _COMPONENT.fullmatch(c)})
            shown = _listed([repr(c) for c in bad])
            return (
                f"the {name} {quote_bounded(part)} contains {shown}; only letters, digits, '_', "
                "'.' and '-' are allowed"
            )
    return None


def platform_from_json(obj: Mapping[str, object]) -> Platform:
    """Read the ``platform`` object of an OCI index entry (or a Docker manifest list entry).

    ``os`` and ``architecture`` are required non-empty strings (OCI image-spec
    ``image-index.md``); ``variant`` and ``os.version`` are optional strings, and an empty one
    means absent (Go's ``omitempty``). ``os.features`` and ``features`` are ignored. Values are
    kept as the registry sent them.

    Raises :class:`~hubaction.errors.RegistryError` when the object is not what the spec says.
    """
    if not isinstance(obj, Mapping):
        raise RegistryError(
            f"the registry sent an index entry whose platform is {show_bounded(obj)}, not a JSON "
            "object; the image index is malformed, report it to the image's maintainers"
        )
    return Platform(
        _required_string(obj, "os"),
        _required_string(obj, "architecture"),
        _optional_string(obj, "variant"),
        _optional_string(obj, "os.version"),
    )


def _required_string(obj: Mapping[str, object], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        found = "has no" if key not in obj else f"has {show_bounded(value)} as"
        raise RegistryError(
            f"the registry sent an index entry whose platform {show_bounded(dict(obj))} {found} "
            f"{key!r}, which must be a non-empty string; the image index is malformed, report it "
            "to the image's maintainers"
        )
    return value


def _optional_string(obj: Mapping[str, object], key: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RegistryError(
            f"the registry sent an index entry whose platform {show_bounded(dict(obj))} has "
            f"{show_bounded(value)} as {key!r}, which must be a string; the image index is "
            "malformed, report it to the image's maintainers"
        )
    return value


def select_platform(wanted: Platform, candidates: Sequence[tuple[Platform, T]]) -> T:
    """Pick the value of the index entry that best runs as ``wanted``, like containerd's ``Only``.

    Both sides are normalized, so ``linux/arm64/v8`` matches ``linux/arm64``. An exact match
    wins; else the highest variant of the same os and architecture that is not newer than the
    wanted one (:func:`_level`): ``arm/v7`` takes ``arm/v6`` then ``arm/v5``, ``amd64/v3``
    takes ``v2`` then ``amd64``. Unlike ``Only`` it never crosses architectures (``arm64`` to
    ``arm``): a 32-bit image for a ``linux/arm64`` request would surprise more than help.

    ``wanted.os_version``, if set, must equal the entry's or be a prefix of it at a ``.``
    (``10.0.20348`` takes ``10.0.20348.2227``). Among equals the first in index order wins, which
    is how a Windows image with one entry per build resolves. Attestations are never chosen.
    Raises :class:`~hubaction.errors.PlatformNotFound` listing the platforms the image has.
    """
    want = wanted.normalized()
    want_level = _level(want)
    best: tuple[tuple[int, int, int], T] | None = None
    for platform, value in candidates:
        fit = _fit(want, want_level, platform)
        # Strict `>`: the first entry in index order wins among equals.
        if fit is not None and (best is None or fit > best[0]):
            best = (fit, value)
    if best is not None:
        return best[1]
    raise PlatformNotFound(_not_found_message(wanted, want, [p for p, _ in candidates]))


def _fit(
    want: Platform, want_level: tuple[int, int] | None, platform: Platform
) -> tuple[int, int, int] | None:
    """How well ``platform`` runs as normalized ``want``, higher is better; None if it cannot."""
    if platform.is_attestation:
        return None
    have = platform.normalized()
    if (have.os, have.architecture) != (want.os, want.architecture):
        return None
    if not _os_version_matches(want.os_version, have.os_version):
        return None
    if have.variant == want.variant:
        return (1, 0, 0)  # exact: nothing is better
    have_level = _level(have)
    if want_level is None or have_level is None or have_level > want_level:
        return None
    # An older variant: the closer to the wanted one, the better.
    return (0, *have_level)


def _level(platform: Platform) -> tuple[int, int] | None:
    """The numeric level of a normalized platform's variant, if its variants are ordered.

    ``arm/vN`` -> ``(N, 0)``; ``amd64`` -> ``(1, 0)``, ``amd64/vN`` -> ``(N, 0)``;
    ``arm64`` -> ``(8, 0)``, ``arm64/vN.M`` -> ``(N, M)``. Other architectures, and variants
    not of the ``vN[.M]`` form, have no order (``None``): only an exact match takes them.
    """
    variant = platform.variant
    if platform.architecture == "amd64" and variant is None:
        return (1, 0)
    if platform.architecture == "arm64" and variant is None:
        return (8, 0)
    if platform.architecture not in ("arm", "arm64", "amd64") or variant is None:
        return None
    match = _LEVEL.fullmatch(variant)
    if match is None:
        return None
    return (int(match[1]), int(match[2] or 0))


def _os_version_matches(wanted: str | None, have: str | None) -> bool:
    if wanted is None:
        return True
    if have is None:
        return False
    return have == wanted or have.startswith(wanted + ".")


def _describe(platform: Platform) -> str:
    """``str()`` plus the Windows build, which tells apart entries that share ``os/arch``;
    quoted and cut when the registry sent something long or unprintable."""
    text = f"{platform} ({platform.os_version})" if platform.os_version else str(platform)
    if len(text) <= _SHOWN_PLAIN and text.isprintable():
        return text
    return quote_bounded(text, _SHOWN_PLAIN)


def _listed(items: Sequence[str]) -> str:
    """``a, b, c``, with at most :data:`_LISTED` items and the count of the rest."""
    shown = ", ".join(items[:_LISTED])
    if len(items) > _LISTED:
        shown += f" and {len(items) - _LISTED} more"
    return shown


def _not_found_message(wanted: Platform, want: Platform, available: Sequence[Platform]) -> str:
    asked = quote_bounded(str(wanted))
    if wanted.os_version:
        asked += f" with os.version {quote_bounded(wanted.os_version)}"
    if str(want) != str(wanted):
        asked += f" (normalized: {want})"
    listed = list(dict.fromkeys(_describe(p) for p in available if not p.is_attestation))
    if not listed:
        return (
            f"the image has no manifest for platform {asked}: its index lists no runnable "
            "platforms (only attestations, or nothing); check the image reference"
        )
    return (
        f"the image has no manifest for platform {asked}; it has {_listed(listed)}; "
        "set the platform input (--platform on the command line) to one of them"
    )


def format_platforms(platforms: Iterable[Platform]) -> list[str]:
    """``str()`` of each platform that is not an attestation, in order, each text once."""
    return list(dict.fromkeys(str(p) for p in platforms if not p.is_attestation))
