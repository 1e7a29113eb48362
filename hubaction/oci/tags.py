"""Choose which tags of a repository to report, and in what order (the ``tags`` outputs).

:func:`select_tags` applies the public contract (``tag-filter``, ``tag-sort``, ``max-tags``,
``tag-count``, ``latest-semver``); :func:`parse_version` says which tags read as versions and
:meth:`Version.sort_key` how they order: semver.org 2.0.0 precedence for semver tags, with
the deliberate differences listed in docs/differences.md ("Versions") and the orderings of the
other forms in the README ("Version ordering"). Docker tags are not semver (``20-alpine`` is no
pre-release of ``20``), so a suffix that is no pre-release word is an image variant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hubaction.errors import CorruptBody, InvalidInput, InvalidReference, RegistryError
from hubaction.oci.reference import parse_tag
from hubaction.oci.wire import NotJSON, load_json

__all__ = [
    "SORTS",
    "TagList",
    "TagSelection",
    "Version",
    "compile_tag_filter",
    "is_tag",
    "parse_tag_list",
    "parse_version",
    "select_tags",
    "skipped_tags_note",
    "sort_tags",
]

SORTS = ("version", "lexical", "updated")
"""``tag-sort`` values: versions highest first, then the other tags lexically; code-point
order; newest push first, undated tags last (push dates exist only in Docker Hub's API)."""

# OCI distribution spec: a tag is at most 128 characters. Longer text is no tag, and the limit
# keeps int() far from Python's 4300-digit conversion limit.
_MAX_TAG_LENGTH = 128

# `a`/`b` are PEP 440 spellings of alpha/beta. The pre-release words themselves (dev, alpha,
# beta, pre, preview, rc) are in _VERSION; they compare as semver compares words, in ASCII
# order: alpha < beta < dev < pre < preview < rc (README "Version ordering").
_PRE_ALIASES = {"a": "alpha", "b": "beta"}

# A tag is a version when it is
#     [v] NUM *("." NUM) [pre-release] ["-" variant] ["+" build]
# * NUM is decimal digits, leading zeros allowed (`20.04`), any number of parts.
# * A pre-release is "-" then a known word (case-insensitive: dev, alpha, beta, pre, preview,
#   rc), optionally glued to digits, then dot-separated identifiers (`-rc.1`, `-rc1`,
#   `-beta.2.exp`); or a PEP 440 `a`/`b`/`rc` with digits glued to a MAJOR.MINOR or longer
#   number (`3.13.0rc1`, `1.0b2`; `12a3456` looks like a commit hash and is no version).
# * Anything else after "-" is a variant: `20.11.1-bookworm-slim` is 20.11.1 with variant
#   `bookworm-slim`, `1.2.3-alpine` is no alpha, `2024-01-01` is 2024 with variant `01-01`.
# * "+build" is semver build metadata (a registry tag cannot hold "+", but it costs nothing).
# Not versions: `latest`, `sha-abc123`, `20.04ubuntu`, `1.2.3_x`, `V1.2` (only a lowercase v).
# [0-9] and not \d: \d also matches other scripts' digits, which int() would accept.
_VERSION = re.compile(
    r"""
    (?P<v>v)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?:
        -(?P<pre>(?i:preview|pre|dev|alpha|beta|rc)[0-9]*(?:\.[0-9A-Za-z]+)*)
      | (?P<pep>(?i:a|b|rc)[0-9]+)
    )?
    (?:-(?P<variant>[0-9A-Za-z][0-9A-Za-z_.\-]*))?
    (?:\+(?P<build>[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?
    """,
    re.VERBOSE | re.ASCII,
)
_WORD_AND_NUMBER = re.compile(r"([A-Za-z]+)([0-9]*)", re.ASCII)
_DIGIT_RUNS = re.compile(r"([0-9]+)", re.ASCII)


def _parse_fields(
    tag: str,
) -> tuple[bool, tuple[int, ...], tuple[str | int, ...], str | None, str | None] | None:
    """(prefix_v, release, prerelease, variant, build) of a version tag, else None."""
    if len(tag) > _MAX_TAG_LENGTH:
        return None
    match = _VERSION.fullmatch(tag)
    if match is None:
        return None
    release = tuple(int(part) for part in match["release"].split("."))
    if match["pep"] and len(release) < 2:
        # `12a3456` is far more likely a short commit hash than 12 alpha 3456: the glued
        # PEP 440 form needs at least MAJOR.MINOR (`1.0b2`, `3.13.0rc1`).
        return None
    prerelease: tuple[str | int, ...] = ()
    pre = match["pre"] or match["pep"]
    if pre:
        first, *rest = pre.lower().split(".")
        word_number = _WORD_AND_NUMBER.fullmatch(first)
        assert word_number is not None  # the regex only lets a word + digits through
        word, number = word_number.groups()
        prerelease = (_PRE_ALIASES.get(word, word),)
        if number:
            prerelease += (int(number),)
        prerelease += tuple(int(i) if i.isdigit() else i for i in rest)
    return match["v"] is not None, release, prerelease, match["variant"], match["build"]


@dataclass(frozen=True, order=False)
class Version:
    """A tag read as a version (:func:`parse_version`); compare with ``<`` etc. (:meth:`sort_key`).

    ``text`` is the tag itself and ``str()`` gives it back. The other fields are derived from
    it: ``release`` the numbers, ``prerelease`` the normalised pre-release identifiers (``rc1``
    and ``rc.1`` both become ``("rc", 1)``, ``a1`` becomes ``("alpha", 1)``), ``variant`` the
    image variant after ``-`` (``alpine``), ``build`` the semver build metadata. Build instances
    with :func:`parse_version`; the constructor refuses fields that disagree with ``text``.
    """

    text: str
    prefix_v: bool
    release: tuple[int, ...]
    prerelease: tuple[str | int, ...] = ()
    variant: str | None = None
    build: str | None = None

    def __post_init__(self) -> None:
        fields = _parse_fields(self.text)
        if fields is None:
            raise ValueError(f"tag {self.text!r} is not a version")
        if fields != (self.prefix_v, self.release, self.prerelease, self.variant, self.build):
            raise ValueError(
                f"fields disagree with tag {self.text!r}; use parse_version({self.text!r})"
            )

    def __str__(self) -> str:
        return self.text

    @property
    def is_semver_release(self) -> bool:
        """True for ``[v]MAJOR.MINOR.PATCH`` exactly: the candidates for ``latest-semver``.
        Leading zeros are tolerated so CalVer tags like ``2024.01.15`` qualify."""
        return (
            len(self.release) == 3
            and not self.prerelease
            and self.variant is None
            and self.build is None
        )

    def precedence(self) -> tuple[Any, ...]:
        """What decides which version is higher (README "Version ordering"): semver.org 2.0.0
        precedence for semver tags, build metadata ignored (§10), with the differences of
        docs/differences.md. Equal for ``1.2.3``, ``v1.2.3``, ``1.2.3+b`` and ``01.2.3``."""
        release = self.release
        while release and release[-1] == 0:  # 1.2 == 1.2.0 == 1.2.0.0 in precedence
            release = release[:-1]
        # semver 2.0.0 §11.3: a pre-release is below the release; between pre-releases,
        # identifier by identifier (_identifier_key), a shorter list below a longer one it
        # starts (§11.4.4).
        pre_key: tuple[Any, ...] = (
            (0, tuple(_identifier_key(i) for i in self.prerelease)) if self.prerelease else (1,)
        )
        # A variant is below the plain version; between variants, digit runs numerically.
        variant_key: tuple[Any, ...] = (
            (0, _natural_key(self.variant)) if self.variant is not None else (1,)
        )
        return (
            release,
            pre_key,
            len(self.release),  # 1.2 below 1.2.0: the longer one names an exact release
            variant_key,
        )

    def sort_key(self) -> tuple[Any, ...]:
        """The ascending total order of versions: :meth:`precedence`, then ties broken so that
        two compare equal only when their tags do (sorting never depends on the input order).
        Node's tags, highest first: ``20.11.1``, ``20.11.1-bookworm-slim``, ``20.11``, ``20``,
        ``20-alpine``."""
        # semver §10 ignores build metadata for precedence: it only breaks ties, after
        # everything that decides precedence, so the order stays total and deterministic.
        build_key = (0, self.build) if self.build is not None else (1, "")
        return (
            *self.precedence(),
            build_key,  # 1.2.3+b below 1.2.3
            not self.prefix_v,  # v1.2 below 1.2
            self.text,  # only leading zeros can still tie: 01.2 below 1.02 below 1.2
        )

    def __lt__(self, other: Version) -> bool:
        return self.sort_key() < other.sort_key()

    def __le__(self, other: Version) -> bool:
        return self.sort_key() <= other.sort_key()

    def __gt__(self, other: Version) -> bool:
        return self.sort_key() > other.sort_key()

    def __ge__(self, other: Version) -> bool:
        return self.sort_key() >= other.sort_key()


def _identifier_key(identifier: str | int) -> tuple[Any, ...]:
    # semver 2.0.0 §11.4: numeric identifiers numerically, below alphanumeric ones, which
    # compare in ASCII order (the words were lower-cased). One deliberate difference
    # (docs/differences.md): digit runs inside a word compare as numbers, so rc2 < rc10
    # (`rc1` was already split into ("rc", 1), the same as `rc.1`).
    if isinstance(identifier, int):
        return (0, identifier)
    return (1, _natural_key(identifier))


def _natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """Digit runs compared as numbers, the rest as text: ``alpine3.9 < alpine3.19``."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in _DIGIT_RUNS.split(text)
        if part
    )


def parse_version(tag: str) -> Version | None:
    """The tag as a :class:`Version`, or ``None`` when it is not one (see ``_VERSION``);
    longer than 128 characters (the OCI tag limit) is never a version."""
    fields = _parse_fields(tag)
    if fields is None:
        return None
    return Version(tag, *fields)


@dataclass(frozen=True)
class TagSelection:
    """The result of :func:`select_tags`: what the ``tags``, ``tag-count`` and
    ``latest-semver`` outputs report."""

    tags: tuple[str, ...]
    count: int
    latest_semver: str | None


def compile_tag_filter(pattern: str) -> re.Pattern[str] | None:
    """Compile the ``tag-filter`` input; ``''`` means no filter (``None``).

    Raises :class:`InvalidInput` naming ``tag-filter`` when the pattern is not a valid Python
    regular expression.
    """
    if pattern == "":
        return None
    try:
        return re.compile(pattern)
    except re.error as error:
        why = f"{error.msg} at position {error.pos}" if error.pos is not None else error.msg
    except (OverflowError, RecursionError) as error:
        # `a{99999999999}` raises OverflowError, absurd nesting RecursionError, not re.error.
        why = str(error) or type(error).__name__
    raise InvalidInput(
        f"tag-filter {pattern!r} is not a valid Python regular expression: {why}; fix the "
        "pattern (it is matched with re.search anywhere in the tag: anchor it with ^ and $ to "
        "match whole tags, e.g. ^v?[0-9]+\\.[0-9]+\\.[0-9]+$)"
    )


def _check_sort(sort: str) -> None:
    if sort not in SORTS:
        raise InvalidInput(f"tag-sort {sort!r} is not a known sort; use one of: {', '.join(SORTS)}")


def sort_tags(
    tags: Iterable[str], sort: str = "version", updated: Mapping[str, datetime] | None = None
) -> list[str]:
    """``tags`` (duplicates dropped) in ``sort`` order (:data:`SORTS`).

    For ``updated``, naive datetimes are taken as UTC. Raises :class:`InvalidInput` for an
    unknown sort, or for ``updated`` without push dates.
    """
    _check_sort(sort)
    unique = sorted(set(tags))
    if sort == "lexical":
        return unique
    if sort == "version":
        versions: list[Version] = []
        others: list[str] = []
        for tag in unique:
            version = parse_version(tag)
            if version is None:
                others.append(tag)
            else:
                versions.append(version)
        # One key per version, computed once (not on every comparison of the sort).
        versions.sort(key=Version.sort_key, reverse=True)
        return [version.text for version in versions] + others
    if updated is None:
        raise InvalidInput(
            "tag-sort: updated needs Docker Hub tag metadata (push dates), which only Docker "
            "Hub's API provides; use tag-sort: version or lexical for this registry"
        )
    dated = [tag for tag in unique if tag in updated]
    # `unique` is lexical and sort() is stable, even with reverse=True, so equal dates stay
    # in lexical order.
    dated.sort(key=lambda tag: _as_utc(updated[tag]), reverse=True)
    return dated + [tag for tag in unique if tag not in updated]


def _as_utc(moment: datetime) -> datetime:
    # Naive and aware datetimes cannot be compared; Docker Hub dates are UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def select_tags(
    tags: Iterable[str],
    *,
    tag_filter: re.Pattern[str] | None = None,
    sort: str = "version",
    max_tags: int = 100,
    updated: Mapping[str, datetime] | None = None,
) -> TagSelection:
    """Filter, sort and cut ``tags`` per the public contract.

    Keeps the tags ``tag_filter`` finds with :func:`re.search`, sorts them, and cuts the list
    at ``max_tags`` (0: no limit). ``count`` is the number after the filter and before the cut;
    ``latest_semver`` the highest filtered :attr:`Version.is_semver_release`, if any. Duplicate
    tags count once. Raises :class:`InvalidInput` for an unknown ``sort``, a negative
    ``max_tags``, or ``sort="updated"`` without ``updated`` push dates.
    """
    _check_sort(sort)
    if max_tags < 0:
        raise InvalidInput(
            f"max-tags {max_tags!r} is negative; use 0 for no limit or a positive number"
        )
    kept = {tag for tag in tags if tag_filter is None or tag_filter.search(tag)}
    ordered = sort_tags(kept, sort, updated)
    semver = [v for v in map(parse_version, kept) if v is not None and v.is_semver_release]
    return TagSelection(
        tags=tuple(ordered if max_tags == 0 else ordered[:max_tags]),
        count=len(ordered),
        latest_semver=max(semver).text if semver else None,
    )


@dataclass(frozen=True)
class TagList:
    """Tag names a registry listed: ``tags`` the valid ones, in its order; ``skipped`` how many
    names broke the tag grammar and were left out; ``cut`` why the list stopped early at a
    bound (``None``: it is complete)."""

    tags: tuple[str, ...] = ()
    skipped: int = 0
    cut: str | None = None


def skipped_tags_note(where: str, skipped: int) -> str:
    """What the front ends say once about ``skipped`` invalid names in ``where``'s tag list.

    The names themselves are never quoted: they are the registry's hostile text."""
    if skipped == 1:
        return f"{where}: 1 tag that is not a valid tag name was skipped"
    return f"{where}: {skipped} tags that are not valid tag names were skipped"


def is_tag(text: str) -> bool:
    """Whether ``text`` is a valid tag (:func:`hubaction.oci.reference.parse_tag`)."""
    try:
        parse_tag(text)
    except InvalidReference:
        return False
    return True


def parse_tag_list(body: bytes, what: str) -> TagList:
    """The tags of one page of a registry's tag list (distribution spec, "Listing Tags").

    Names that break the tag grammar (control characters, lone surrogates, 1 MiB) are no tags
    anyone can pull: they are counted in ``skipped``, not reported. Malformed JSON is
    :class:`CorruptBody` (cut or garbled on the way: worth a retry); JSON of the wrong shape is
    :class:`RegistryError`.
    """
    try:
        doc = load_json(body)
    except NotJSON:
        # Malformed (cut or garbled on the way): worth the one retry a corrupt body gets.
        raise CorruptBody(f"{what}: the tag list is not JSON") from None
    if not isinstance(doc, dict):
        raise RegistryError(f"{what}: the tag list is not a JSON object")
    tags = doc.get("tags")
    # An empty repository answers "tags": null on the distribution registry.
    if tags is None:
        return TagList()
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise RegistryError(f"{what}: `tags` is not a list of strings")
    valid = tuple(t for t in tags if is_tag(t))
    return TagList(valid, len(tags) - len(valid))
