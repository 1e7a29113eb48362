"""The job summary: Markdown for ``GITHUB_STEP_SUMMARY`` (and the CLI's readable tables).

GitHub refuses a step summary over 1 MiB ("Job summary ... exceeds the maximum allowed size",
GitHub docs, "Adding a job summary"), so tables are cut to fit a budget below that, with a note
saying how many rows were left out. Registry-supplied text (tags, labels, platform names, error
messages) enters only through :func:`md_text` and :func:`md_code`, which make it render as text:
it cannot close a table cell, open HTML, make a link or an image, or carry control characters.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from hubaction.oci.digest import Digest
from hubaction.oci.facts import ImageFacts, image_facts
from hubaction.oci.model import AllPlatforms, ImageInfo, ManifestHead, RateLimit
from hubaction.oci.reference import Reference
from hubaction.oci.wire import scrub

if TYPE_CHECKING:
    from hubaction.dockerhub.models import HubRepository, HubTag
    from hubaction.oci.basecheck import BaseCheck, BaseComparison

# GitHub's limit is 1 MiB per step summary; stay clear of it for the closing note.
SUMMARY_LIMIT = 1024 * 1024 - 16 * 1024

# Every ASCII punctuation character that can start Markdown syntax; '&' too, else an entity
# such as "&#64;" would become an '@' that the autolink extension then links.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&])")
_BACKTICK_RUN = re.compile(r"`+")

# Shown as escapes (\x1b, \u202e), never written raw: C0 and C1 controls (ESC starts terminal
# sequences), bidi embeddings, overrides, isolates and marks (Unicode TR9: they reorder what
# the reader sees, "Trojan Source", CVE-2021-42574), and lone surrogates (not encodable).
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)

# GFM's autolink extension (cmark-gfm extensions/autolink.c, and GitHub's renderer) links bare
# text that CommonMark escaping leaves alone: "www." after a delimiter, "scheme://" (http, https,
# ftp) and "local@domain" (also after mailto: or xmpp:). A WORD JOINER (U+2060: invisible, no
# line break) before "://", before each '@' and before the '.' of "www." stops each of those
# scanners, which need those characters adjacent; the text reads the same. One after '@' and
# after a '#' before a letter or digit, too: GitHub's own filters link @mentions and #123
# references in rendered text (not modelled by cmark-gfm; the joiner costs nothing).
_AUTOLINK_TRIGGER = re.compile(r":(?=//)|@|#(?=[A-Za-z0-9])|(?i:(?<=www))\.")
_WORD_JOINER = "\u2060"


def _defuse(match: re.Match[str]) -> str:
    trigger = match.group()
    if trigger == "@":
        return _WORD_JOINER + trigger + _WORD_JOINER
    if trigger == "#":
        return trigger + _WORD_JOINER
    return _WORD_JOINER + trigger


def _visible(text: str) -> str:
    """``text`` on one line, with whitespace runs folded and invisible characters escaped;
    known secrets hidden first, as folding and escaping would make them unrecognisable."""
    flat = " ".join(scrub(text).split())
    return _INVISIBLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), flat)


def md_text(text: str) -> str:
    """``text`` as literal Markdown inline text: one line, never a link, an image or HTML."""
    escaped = _MD_SPECIAL.sub(r"\\\1", _visible(text))
    return _AUTOLINK_TRIGGER.sub(_defuse, escaped)


def md_code(text: str) -> str:
    """``text`` as inline code; backticks and pipes can't end it or the table cell."""
    # Code spans are never autolinked and show backslashes and entities literally.
    flat = _visible(text).replace("|", "\\|")
    if not flat:
        return ""
    # A code span ends at the first backtick run as long as its opening one (CommonMark 0.31,
    # "Code spans"), so the fence must be longer than every run inside: "``" alone is closed by
    # a "``" in the text, and what follows renders as Markdown (links included). The spaces
    # let the text start or end with a backtick; one on each side is stripped when rendered.
    runs = _BACKTICK_RUN.findall(flat)
    if not runs:
        return f"`{flat}`"
    fence = "`" * (max(len(r) for r in runs) + 1)
    return f"{fence} {flat} {fence}"


def human_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - loop always returns


@dataclass(frozen=True)
class TagRow:
    """One line of the tag table; the optional fields are filled where the source gives them."""

    name: str
    digest: str | None = None
    size: int | None = None
    pushed: str | None = None


@dataclass(frozen=True)
class Table:
    """A Markdown table whose rows may be cut to fit the summary budget."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""

    def render(self, max_rows: int | None = None) -> str:
        shown = self.rows if max_rows is None else self.rows[:max_rows]
        lines = [f"### {self.title}", ""]
        if self.note:
            lines += [self.note, ""]
        if not self.rows:
            lines.append("_None._")
            return "\n".join(lines) + "\n"
        lines.append("| " + " | ".join(self.header) + " |")
        lines.append("|" + "|".join("---" for _ in self.header) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in shown]
        left = len(self.rows) - len(shown)
        if left:
            lines += [
                "",
                f"_{left} more rows left out to keep the job summary under GitHub's 1 MiB limit._",
            ]
        return "\n".join(lines) + "\n"


def image_section(info: ImageInfo, *, rate_limit: RateLimit | None = None) -> str:
    """The image's facts as a two-column table."""
    rows: list[tuple[str, str]] = [
        ("Reference", md_code(str(info.reference))),
        ("Digest", md_code(str(info.digest))),
        ("Media type", md_code(info.media_type)),
    ]
    if info.platform is not None:
        rows.append(("Platform", md_text(str(info.platform))))
    rows.append(("Platform digest", md_code(str(info.platform_digest))))
    rows.append(("Config digest", md_code(str(info.config_digest))))
    if info.config is not None and info.config.created:
        rows.append(("Created", md_text(info.config.created)))
    rows += _fact_rows(image_facts(info))
    rows.append(("Pinned", md_code(str(info.pinned))))
    if rate_limit is not None and rate_limit.limit is not None:
        rows.append(("Pull quota", md_text(_quota(rate_limit))))
    return _facts(info.reference.familiar, rows)


def _fact_rows(facts: ImageFacts) -> list[tuple[str, str]]:
    layers = "1 layer" if facts.layers == 1 else f"{facts.layers} layers"
    rows = [("Size", f"{human_size(facts.size)} compressed, {layers}")]
    # Registry text: shown, never linked (a `source` is the image's claim, not ours).
    if facts.source:
        rows.append(("Source", md_text(facts.source)))
    if facts.revision:
        rows.append(("Revision", md_code(facts.revision)))
    if facts.version:
        rows.append(("Version", md_text(facts.version)))
    return rows


def _facts(title: str, rows: Sequence[tuple[str, str]]) -> str:
    lines = [f"## {md_text(title)}", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines) + "\n"


def digest_section(ref: Reference, head: ManifestHead) -> str:
    """What ``digest-only`` knows: one HEAD request's answer."""
    rows = [
        ("Reference", md_code(str(ref))),
        ("Digest", md_code(str(head.digest))),
        ("Media type", md_code(head.media_type or "")),
        ("Pinned", md_code(str(ref.with_digest(head.digest)))),
    ]
    if head.ratelimit is not None and head.ratelimit.limit is not None:
        rows.append(("Pull quota", md_text(_quota(head.ratelimit))))
    return (
        _facts(ref.familiar, rows)
        + "\n_Digest only: looked up with a HEAD request; no manifest was fetched, no pull "
        "quota spent._\n"
    )


def _quota(rate_limit: RateLimit) -> str:
    window = f" per {rate_limit.window // 3600} h" if rate_limit.window else ""
    remaining = (
        f"{rate_limit.remaining} of {rate_limit.limit}"
        if rate_limit.remaining is not None
        else f"{rate_limit.limit}"
    )
    return f"{remaining} pulls left{window}"


def platform_table(info: ImageInfo, sizes: Mapping[Digest, int] | None = None) -> Table | None:
    """The index's platforms with their image sizes (config and layers): the chosen one's from
    its manifest, the others' from ``sizes`` where known without a request (Docker Hub's tag
    metadata); a manifest's own few hundred bytes tell a reader nothing (issue 16)."""
    if info.index is None:
        return None
    known = dict(sizes or {})
    known[info.platform_digest] = info.manifest.image_size
    rows = tuple(
        (
            md_text(str(e.platform))
            + (f" ({md_text(e.platform.os_version)})" if e.platform.os_version else "")
            + (" (chosen)" if e.digest == info.platform_digest else ""),
            md_code(str(e.digest)),
            human_size(known.get(e.digest)),
        )
        for e in info.entries
    )
    return Table("Platforms", ("Platform", "Manifest digest", "Image size"), rows)


def all_platforms_table(found: AllPlatforms, check: BaseCheck | None = None) -> Table:
    """``platform: all``: every platform, its manifest digest, layers, compressed size (config
    and layers) and, with ``base-image``, whether its base moved on."""
    answers = {c.manifest_digest: c for c in (check.comparisons if check else ())}
    rows = []
    for resolved in found.platforms:
        entry, manifest = resolved.entry, resolved.manifest
        name = md_text(str(entry.platform))
        name += f" ({md_text(entry.platform.os_version)})" if entry.platform.os_version else ""
        name += " (outputs)" if entry.digest == found.info.platform_digest else ""
        cells = [name, md_code(str(entry.digest)), "**missing** (404)", ""]
        if manifest is not None:
            size = manifest.config.size + sum(d.size for d in manifest.layers)
            cells[2:] = [str(len(manifest.layers)), human_size(size)]
        if check is not None:
            cells.append(_base_cell(answers.get(entry.digest)))
        rows.append(tuple(cells))
    note = (
        "Every platform resolved (`platform: all`); the single-valued outputs (`platform-digest`, "
        "`config-digest`, `created`, `labels`) describe the one marked (outputs)."
    )
    if found.missing:
        count = len(found.missing)
        note += f" {count} listed manifest{' is' if count == 1 else 's are'} missing (404)."
    header = ("Platform", "Manifest digest", "Layers", "Size") + (("Base",) if check else ())
    return Table("Platforms", header, tuple(rows), note=note)


def _base_cell(answer: BaseComparison | None) -> str:
    if answer is None:
        return "not compared"
    return "**moved on**" if answer.changed else "current"


def tag_table(
    tags: Sequence[TagRow],
    *,
    total: int,
    source: str,
    sort: str,
    skipped: int = 0,
    cut: str | None = None,
    digests_left_out: int = 0,
) -> Table:
    """The tag table; columns without data anywhere are left out. ``skipped``: listed names
    that were no valid tags, said in the note (never quoted); ``cut``: why the list is
    incomplete (a bound was reached); ``digests_left_out``: tags whose digest was not fetched,
    stopped at the run deadline (issue 13 §1)."""
    columns: list[tuple[str, str]] = [("Tag", "name")]
    if any(t.digest for t in tags):
        columns.append(("Digest", "digest"))
    if any(t.size is not None for t in tags):
        columns.append(("Size", "size"))
    if any(t.pushed for t in tags):
        columns.append(("Pushed", "pushed"))

    def cell(row: TagRow, field: str) -> str:
        if field == "name":
            return md_code(row.name)
        if field == "digest":
            return md_code(row.digest or "")
        if field == "size":
            return human_size(row.size)
        return md_text(row.pushed or "")

    shown = len(tags)
    # Our own words today; escaped all the same, as everything else placed in the summary.
    said = f"sorted by {md_text(sort)}; source: {md_text(source)}."
    note = f"{shown} of {total} tags, {said}" if shown != total else f"{total} tags, {said}"
    if skipped:
        one = skipped == 1
        names = "name that is not a valid tag was" if one else "names that are not valid tags were"
        note += f" {skipped} listed {names} skipped."
    if cut:
        note += f" **Incomplete:** {md_text(cut)}."
    if digests_left_out:
        note += f" {left_out_note(digests_left_out)}"
    return Table(
        "Tags",
        tuple(name for name, _ in columns),
        tuple(tuple(cell(t, f) for _, f in columns) for t in tags),
        note=note,
    )


def left_out_note(count: int) -> str:
    """What the tag table says of the digests it left out at the deadline (and the warning)."""
    tags = "tag" if count == 1 else "tags"
    return f"The digests of {count} {tags} were left out: stopped at the run deadline."


def render(parts: Sequence[str | Table | None], *, limit: int = SUMMARY_LIMIT) -> str:
    """Join sections; cut the largest tables' rows until the whole fits in ``limit`` bytes."""
    items = [p for p in parts if p is not None]
    budgets: dict[int, int | None] = {i: None for i, p in enumerate(items) if isinstance(p, Table)}

    def build() -> str:
        out = []
        for i, part in enumerate(items):
            out.append(part.render(budgets[i]) if isinstance(part, Table) else part)
        return "\n".join(out)

    text = build()
    while len(text.encode("utf-8")) > limit and budgets:
        # Halve the rows of the table that currently shows the most rows.
        def shown(i: int) -> int:
            table = items[i]
            assert isinstance(table, Table)
            b = budgets[i]
            return len(table.rows) if b is None else b

        biggest = max(budgets, key=shown)
        current = shown(biggest)
        if current == 0:
            break
        budgets[biggest] = current // 2
        text = build()
    if len(text.encode("utf-8")) > limit:
        text = text.encode("utf-8")[: limit - 200].decode("utf-8", "ignore")
        # Whole lines only: a line cut inside a code span would leave its text bare Markdown,
        # links included (every inline construct made here ends on the line it starts).
        text = text[: text.rfind("\n") + 1]
        text += "\n\n_The summary was truncated to stay under GitHub's 1 MiB limit._\n"
    return text


def base_table(check: BaseCheck) -> Table:
    """Per platform: is the image still built on the base image's current content?"""
    rows = tuple(
        (
            md_text(c.platform) + (" (chosen)" if c is check.chosen else ""),
            "**moved on**" if c.changed else ("*missing*" if c.missing else "current"),
            md_code(str(c.base_digest)),
            "annotation" if c.method == "annotation" else "layers",
            md_text(c.detail),
        )
        for c in check.comparisons
    )
    return Table(
        f"Base image {md_text(check.base.familiar)}",
        ("Platform", "Base", "Base digest now", "Compared by", "Detail"),
        rows,
        note=f"The base image's tag points to {md_code(str(check.base_digest))}.",
    )


def dockerfile_table(path: str, rows: Sequence[Mapping[str, object]]) -> Table:
    """The Dockerfile's base images: status, and the pinned reference to paste."""

    def text(value: object) -> str:
        return "" if value is None else str(value)

    marks = {"current": "current", "stale": "**stale**", "unpinned": "unpinned"}
    return Table(
        f"Base images of {md_text(path)}",
        ("Line", "Image", "Status", "Pinned digest", "Current digest", "Pin it as"),
        tuple(
            (
                text(row.get("line")),
                md_code(text(row.get("image"))),
                marks.get(text(row.get("status")), md_text(text(row.get("status")))),
                md_code(text(row.get("pinned-digest"))),
                md_code(text(row.get("current-digest"))),
                md_code(text(row.get("pinned"))),
            )
            for row in rows
        ),
    )


def images_table(rows: Sequence[tuple[str, str, Mapping[str, object]]]) -> Table:
    """The ``images`` input: one row per line (name, reference, its ``images`` entry)."""
    missing = sum(1 for _name, _ref, entry in rows if not entry.get("exists"))
    return Table(
        "Images",
        ("Name", "Reference", "Digest", "Platform digest", "Exists"),
        tuple(
            (
                md_text(name),
                md_code(ref),
                md_code(str(entry.get("digest") or "")),
                md_code(str(entry.get("platform-digest") or "")),
                "yes" if entry.get("exists") else "**no**",
            )
            for name, ref, entry in rows
        ),
        note=f"{len(rows)} images looked up, {missing} missing.",
    )


# -- Docker Hub's listings --------------------------------------------------------------------


def _utc_minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _hub_time_cell(text: str | None) -> str:
    """A Docker Hub time to the minute, e.g. ``2024-06-01 10:20 UTC``; blank if unreadable."""
    if not text:
        return ""
    try:
        from hubaction.oci.times import parse_time  # only Docker Hub tables

        return _utc_minute(parse_time(text))
    except ValueError:
        return ""


def tag_row(tag: HubTag) -> TagRow:
    """The tag-table row for a tag of Docker Hub's API: digest, compressed size, push date."""
    pushed = tag.pushed_at
    return TagRow(
        tag.name,
        digest=tag.digest,
        size=tag.full_size,
        pushed=_utc_minute(pushed) if pushed else None,
    )


def repository_table(
    repositories: Sequence[HubRepository], *, namespace: str, anonymous: bool
) -> Table:
    """The summary table of a namespace: name, private, pulls, stars, last updated."""
    rows = tuple(
        (
            md_code(r.name),
            "yes" if r.is_private else "no",
            "" if r.pull_count is None else f"{r.pull_count:,}",
            "" if r.star_count is None else str(r.star_count),
            md_text(_hub_time_cell(r.last_updated)),
        )
        for r in repositories
    )
    note = f"{len(rows)} repositories in namespace {md_code(namespace)}"
    note += "; public ones only (no credentials)." if anonymous else "."
    return Table(
        f"Repositories of {md_text(namespace)}",
        ("Repository", "Private", "Pulls", "Stars", "Last updated"),
        rows,
        note=note,
    )
