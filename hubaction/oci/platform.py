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
    "ALL_PLATFORMS",
    "Platform",
    "format_platforms",
    "is_all_platforms",
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
# containerd drops the variant of "i386" (not of "386", whose variant it keeps and compares).
_X86_32_SPELLINGS = frozenset({"i386", "i686"})
# Debian's 32-bit ARM ports name a variant, not just an architecture.
_ARM_PORTS = {"armhf": "v7", "armel": "v6"}
# Variants written without the "v" (as /proc/cpuinfo "CPU architecture: 7" reports them).
_ARM64_VARIANTS = {"8": None, "v8": None, "v8.0": None, "9": "v9", "9.0": "v9", "v9.0": "v9"}
_ARM_BARE_VARIANTS = {"7": "v7", "5": "v5", "6": "v6", "8": "v8"}

# containerd compare.go `arm64variantToVersion`: for each arm64 variant, the majors it runs and
# the highest minor of each (v9.N runs v9.N..v9 then v8.(N+5)..v8, at most v8.9).
_ARM64_RUNS: dict[str, tuple[tuple[int, int], ...]] = {
    **{f"v8.{minor}": ((8, minor),) for minor in range(10)},
    "v8": ((8, 0),),
    **{f"v9.{minor}": ((9, minor), (8, min(minor + 5, 9))) for minor in range(8)},
    "v9": ((9, 0), (8, 5)),
}
# The lowest 32-bit ARM variant containerd falls back to (compare.go `platformVector`).
_ARM_LOWEST = 5
_DIGITS = re.compile(r"[0-9]{1,9}")


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
        ``i686`` -> ``386`` without variant; ``armhf`` -> ``arm/v7``; ``armel`` -> ``arm/v6``);
        and spells the default variant one way: ``arm64/v8`` and ``amd64/v1`` have none,
        ``arm64/9`` is ``v9``, ``arm`` has ``v7``, ``arm/5`` is ``v5``. ``386`` keeps its variant,
        as in containerd (``database.go`` ``normalizeArch``). ``os_version`` is kept as it is.
        """
        os = self.os.lower()
        if os == "macos":
            os = "darwin"
        written = self.architecture.lower()
        variant = self.variant.lower() if self.variant else None
        arch = _ARCH_ALIASES.get(written, written)
        if arch in _ARM_PORTS:
            # The Debian port name fixes the ARM version, overriding any variant given.
            arch, variant = "arm", _ARM_PORTS[arch]
        elif written in _X86_32_SPELLINGS or (arch == "amd64" and variant == "v1"):
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


ALL_PLATFORMS = "all"
"""What the ``platform`` input and ``--platform`` take for every platform of an index."""


def is_all_platforms(text: str) -> bool:
    """Whether ``text`` asks for every platform (``all``, in any case) rather than one; no OS
    is named ``all``, and a platform needs a ``/``, so the two never clash."""
    return text.lower() == ALL_PLATFORMS


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
    """Pick the value of the index entry that best runs as ``wanted``, as containerd's
    ``platforms.Only`` orders them (``compare.go``), without its cross-architecture steps.

    Both sides are normalized (``linux/arm64/v8`` is ``linux/arm64``). Preferred first: the
    wanted variant, then the older ones containerd's ``platformVector`` lists: ``arm/vN`` takes
    ``vN-1`` .. ``v5`` (never below v5); ``amd64/vN`` takes ``vN-1`` .. ``v1``; ``arm64/v9.N``
    takes ``v9.N-1`` .. ``v9``, then ``v8.(N+5)`` .. ``v8`` (at most ``v8.9``); ``arm64/v8.N``
    takes ``v8.N-1`` .. ``v8``. Other variants, and other architectures, match exactly. Unlike
    ``Only`` it never crosses architectures (``amd64`` to ``386``, ``arm64`` to ``arm``): a
    32-bit image for a 64-bit request would surprise more than help; and an ``arm64`` variant
    outside containerd's table (``v8.10``) still takes the same variant, where ``Only`` takes
    nothing.

    For ``windows``, ``wanted.os_version`` (``10.0.20348``) is the host's build, matched as
    containerd's ``windowsVersionMatcher`` does (``platform_windows_compat.go``): an entry
    without one always runs; else major and minor must be equal and the build the same, or,
    from Windows Server 2022 on, between the last LTSC build before the host's and the host's.
    Other systems' ``os.version`` is ignored, as there. Among entries of the same variant, a
    Windows host's prefers the highest ``os.version`` (as containerd's Windows default
    ``windowsMatchComparer``; compared numerically, where it compares strings), an entry
    without one last; otherwise the first in index order wins. Attestations are never chosen.
    Raises :class:`~hubaction.errors.PlatformNotFound` listing the platforms the image has.
    """
    want = wanted.normalized()
    order = _preference(want)
    best: tuple[tuple[int, ...], T] | None = None
    for platform, value in candidates:
        rank = _rank(want, order, platform)
        # Strict `<`: the first entry in index order wins among equals.
        if rank is not None and (best is None or rank < best[0]):
            best = (rank, value)
    if best is not None:
        return best[1]
    raise PlatformNotFound(_not_found_message(wanted, want, [p for p, _ in candidates]))


def _rank(
    want: Platform, order: Sequence[str | None], platform: Platform
) -> tuple[int, ...] | None:
    """How good ``platform`` is for ``want`` (lower is better), or None if it cannot run."""
    if platform.is_attestation:
        return None
    have = platform.normalized()
    if (have.os, have.architecture) != (want.os, want.architecture):
        return None
    if have.variant not in order:
        return None
    rank = (order.index(have.variant),)
    if have.os != "windows" or _windows_version(want.os_version) == (0, 0, 0):
        return rank
    if not _windows_runs(want.os_version, have.os_version):
        return None
    # Highest os.version first, an entry without one after every entry with one.
    parts = (have.os_version or "").split(".")[:4]
    numbers = [int(p) if _DIGITS.fullmatch(p) else 0 for p in parts + ["0"] * (4 - len(parts))]
    return (*rank, 0 if have.os_version else 1, *(-n for n in numbers))


def _preference(want: Platform) -> list[str | None]:
    """The variants of ``want``'s architecture that run as ``want``, best first (normalized):
    containerd compare.go ``platformVector``, same architecture only."""
    variant = want.variant
    if want.architecture == "arm64":
        runs = _ARM64_RUNS.get(variant or "v8")
        if runs is None:
            return [variant]
        steps = [(major, minor) for major, top in runs for minor in range(top, -1, -1)]
        return [
            Platform(want.os, "arm64", _arm64_variant(*step)).normalized().variant for step in steps
        ]
    number = _variant_number(variant)
    if want.architecture == "arm" and number is not None and number > _ARM_LOWEST:
        return [variant] + [f"v{n}" for n in range(number - 1, _ARM_LOWEST - 1, -1)]
    if want.architecture == "amd64" and number is not None and number > 1:
        # amd64/v1 is normalized to no variant.
        return [variant] + [f"v{n}" for n in range(number - 1, 1, -1)] + [None]
    return [variant]


def _arm64_variant(major: int, minor: int) -> str:
    return f"v{major}" if minor == 0 else f"v{major}.{minor}"


def _variant_number(variant: str | None) -> int | None:
    """``N`` of ``vN`` or ``N`` (Go's ``strconv.Atoi`` after trimming ``v``), else None."""
    if variant is None:
        return None
    digits = variant.removeprefix("v")
    return int(digits) if _DIGITS.fullmatch(digits) else None


# containerd platform_windows_compat.go: builds whose containers later hosts keep running
# (Windows Server 2022 and 2025, the stable-ABI LTSC releases), ascending.
_WINDOWS_LTSC = (20348, 26100)


def _windows_runs(host: str | None, image: str | None) -> bool:
    """Whether a Windows host of build ``host`` runs an image built for ``image``
    (containerd ``windowsVersionMatcher.Match`` and ``checkWindowsHostAndContainerCompat``)."""
    host_version = _windows_version(host)
    if host_version == (0, 0, 0) or not image:
        return True
    image_version = _windows_version(image)
    if host_version[:2] != image_version[:2]:
        return False
    host_build, image_build = host_version[2], image_version[2]
    if host_build < _WINDOWS_LTSC[0]:
        return host_build == image_build
    oldest = next((b for b in reversed(_WINDOWS_LTSC) if host_build > b), _WINDOWS_LTSC[0])
    return oldest <= image_build <= host_build


def _windows_version(text: str | None) -> tuple[int, int, int]:
    """``major.minor.build[.revision]`` as containerd's ``getWindowsOSVersion`` reads it:
    (0, 0, 0) when it has fewer than three parts or one is not a number in range."""
    parts = (text or "").split(".")
    if len(parts) < 3:
        return (0, 0, 0)
    limits = (255, 255, 65535)
    if not all(
        _DIGITS.fullmatch(p) and int(p) <= top for p, top in zip(parts, limits, strict=False)
    ):
        return (0, 0, 0)
    return (int(parts[0]), int(parts[1]), int(parts[2]))


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
