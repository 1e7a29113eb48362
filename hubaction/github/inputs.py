"""The action's inputs: one table of name, default and parser (action.yml declares the same
names and defaults; a test keeps the two in step), the rules that tie inputs together, and
:class:`ActionInputs`, everything parsed and checked before any request is sent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from hubaction.errors import InvalidInput
from hubaction.github import decisions as decide
from hubaction.github.input_rules import (
    credentials,
    refuse_all_platforms_with_digest_only,
    refuse_base_image_with_digest_only,
    refuse_referrers_with_digest_only,
    registries_to_log_in,
    require_hub_for_updated,
    require_something_to_look_up,
)
from hubaction.github.inputs_dockerfile import (
    read_dockerfile,
    require_dockerfile_to_update,
)
from hubaction.github.toolkit import parse_bool_input, parse_int_input
from hubaction.oci.platform import Platform, is_all_platforms, parse_platform
from hubaction.oci.reference import (
    Digest,
    Reference,
    is_path_component,
    parse_digest,
    parse_reference,
    parse_tag,
)
from hubaction.oci.tags import SORTS, compile_tag_filter
from hubaction.registry.credentials import (
    Credentials,
    CredentialStore,
    docker_config_path,
    parse_docker_config,
    parse_login_config,
)

if TYPE_CHECKING:
    from hubaction.dockerfile import BaseImage
    from hubaction.github.imagelist import ImageLine

T = TypeVar("T")

#: ``get_input(name)``: the input's value stripped of surrounding whitespace ('' when unset).
GetInput = Callable[[str], str]


@dataclass(frozen=True)
class Input(Generic[T]):
    """One input of action.yml: its name, its default (``None``: none) and its parser, which is
    given the name (for messages) and the text, the default when the text is empty."""

    name: str
    default: str | None
    parse: Callable[[str, str], T]
    secret: bool = False

    def read(self, get_input: GetInput) -> T:
        return self.parse(self.name, get_input(self.name) or self.default or "")


# -- parsers of one input ---------------------------------------------------------------------


def _expected(name: str, exc: Exception, accepted: str) -> InvalidInput:
    return InvalidInput(f"Input `{name}`: {exc}. Expected {accepted}")


def text(_name: str, value: str) -> str:
    return value


def boolean(name: str, value: str) -> bool:
    return parse_bool_input(name, value)


def count(name: str, value: str) -> int:
    return parse_int_input(name, value, minimum=0)


def _docker_config(_name: str, value: str) -> dict[str, Credentials]:
    return parse_docker_config(value)


def _platform(name: str, value: str) -> Platform:
    try:
        # `all` (every platform: ActionInputs.all_platforms): the single-valued outputs are
        # the host default's, as for an unset input.
        return parse_platform("linux/amd64" if is_all_platforms(value) else value)
    except InvalidInput as exc:
        raise InvalidInput(f"Input `{name}`: {exc}, or `all` for every platform") from None


def _tag_filter(name: str, value: str) -> re.Pattern[str] | None:
    try:
        return compile_tag_filter(value)
    except InvalidInput as exc:
        raise InvalidInput(f"Input `{name}`: {exc}") from None


def _tag_sort(name: str, value: str) -> str:
    if value not in SORTS:
        raise InvalidInput(f"Input `{name}` is {value!r}: expected one of {', '.join(SORTS)}")
    return value


def _digest(name: str, value: str) -> Digest | None:
    try:
        return parse_digest(value) if value else None
    except InvalidInput as exc:
        raise _expected(name, exc, "a digest such as `sha256:<64 hex>`") from None


def _image(name: str, value: str) -> Reference | None:
    try:
        return parse_reference(value) if value else None
    except InvalidInput as exc:
        raise _expected(name, exc, "an image reference such as `node:20`") from None


def _namespace(name: str, value: str) -> str:
    if value and not is_path_component(value):
        raise InvalidInput(
            f"Input `{name}` is {value!r}: expected a Docker Hub user or organization "
            "name such as `acme` (lowercase letters and digits, with `.`, `_` or `-` inside)"
        )
    return value


def _hub_url(name: str, value: str) -> str:
    url = value.rstrip("/")
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
        raise InvalidInput(
            f"Input `{name}` is {url!r}: expected an http(s) URL such as https://hub.docker.com"
        )
    return url


def _seconds(name: str, value: str) -> float:
    """A positive number of seconds such as ``120`` or ``2.5``."""
    try:
        seconds = float(value) if re.fullmatch(r"[0-9]+(\.[0-9]*)?|\.[0-9]+", value) else -1.0
    except ValueError:  # pragma: no cover - the pattern admits only what float() reads
        seconds = -1.0
    if not (math.isfinite(seconds) and seconds > 0):
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise InvalidInput(
            f"Input `{name}` is {shown!r}: expected a positive number of seconds for the whole "
            "run, such as `120` or `30.5`"
        )
    return seconds


def _images(_name: str, value: str) -> tuple[ImageLine, ...]:
    if not value:
        return ()
    from hubaction.github.imagelist import parse_images  # only for the runs that use it

    return parse_images(value)


# -- the table, in action.yml's order ---------------------------------------------------------

REPOSITORY = Input("repository", None, text)  # with `tag`: see reference()
TAG = Input("tag", "latest", text)
USERNAME = Input("username", "", text)
PASSWORD = Input("password", "", text, secret=True)
DOCKER_CONFIG = Input("docker-config", "", _docker_config, secret=True)
PLATFORM = Input("platform", "linux/amd64", _platform)
REFERRERS = Input("referrers", "false", boolean)
DIGEST_ONLY = Input("digest-only", "false", boolean)
LIST_TAGS = Input("list-tags", "true", boolean)
TAG_FILTER = Input("tag-filter", "", _tag_filter)
TAG_SORT = Input("tag-sort", "version", _tag_sort)
MAX_TAGS = Input("max-tags", "100", count)
COMPARE_DIGEST = Input("compare-digest", "", _digest)
BASE_IMAGE = Input("base-image", "", _image)
DOCKERFILE = Input("dockerfile", "", read_dockerfile)
UPDATE_DOCKERFILE = Input("update-dockerfile", "false", boolean)
FAIL_ON_MISSING = Input("fail-on-missing", "true", boolean)
NAMESPACE = Input("namespace", "", _namespace)
LIST_NAMESPACES = Input("list-namespaces", "false", boolean)
SUMMARY = Input("summary", "true", boolean)
INSECURE = Input("insecure", "false", boolean)
HUB_URL = Input("hub-url", "https://hub.docker.com", _hub_url)
TIMEOUT = Input("timeout", "120", _seconds)
# Issue 17 §4-6 (hubaction.github.decisions).
WAIT_FOR = Input("wait-for", "", decide.parse_wait_for)
WAIT_TIMEOUT = Input("wait-timeout", "10m", decide.parse_wait_timeout)
RELEASE_VERSION = Input("release-version", "", decide.parse_release)
MAX_AGE = Input("max-age", "", decide.parse_max_age)
IMAGES = Input("images", "", _images)

INPUTS: tuple[Input[Any], ...] = (
    REPOSITORY,
    TAG,
    USERNAME,
    PASSWORD,
    DOCKER_CONFIG,
    PLATFORM,
    REFERRERS,
    DIGEST_ONLY,
    LIST_TAGS,
    TAG_FILTER,
    TAG_SORT,
    MAX_TAGS,
    COMPARE_DIGEST,
    BASE_IMAGE,
    DOCKERFILE,
    UPDATE_DOCKERFILE,
    FAIL_ON_MISSING,
    NAMESPACE,
    LIST_NAMESPACES,
    SUMMARY,
    INSECURE,
    HUB_URL,
    TIMEOUT,
    WAIT_FOR,
    WAIT_TIMEOUT,
    RELEASE_VERSION,
    MAX_AGE,
    IMAGES,
)

#: Input name -> default, as action.yml declares them (``None``: no default).
INPUT_DEFAULTS: dict[str, str | None] = {i.name: i.default for i in INPUTS}

#: Inputs whose values are secrets: masked before anything else is printed.
SECRET_INPUTS: tuple[str, ...] = tuple(i.name for i in INPUTS if i.secret)

TAG_FORM = "a tag such as `1.2` or a digest `sha256:<64 hex>`"


# -- the config.json of `docker login`, when no credentials are given --------------------------


@dataclass(frozen=True)
class LoginConfig:
    """A config.json read where ``docker login`` writes it, docker/login-action included
    (inside the container: ``$HOME/.docker``, the runner's ``$RUNNER_TEMP/_github_home``)."""

    path: Path
    text: str

    def credentials(self, registries: tuple[str, ...]) -> dict[str, Credentials]:
        return parse_login_config(self.text, source=str(self.path), registries=registries)


def read_login_config(get_input: GetInput, environ: Mapping[str, str]) -> LoginConfig | None:
    """The config.json at ``$DOCKER_CONFIG`` or ``$HOME/.docker`` when ``docker-config``,
    ``username`` and ``password`` are all empty; ``None`` when they are not, or no file is
    there (anonymous access, as without one)."""
    if any(get_input(i.name) for i in (DOCKER_CONFIG, USERNAME, PASSWORD)):
        return None
    path = docker_config_path(environ)
    if path is None:
        return None
    try:
        return LoginConfig(path, path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"Cannot read {path} ({exc.__class__.__name__}), the Docker config read when "
            "`docker-config` and `username` are empty: fix or remove it, or pass the "
            "credentials as inputs"
        ) from None


# -- rules across inputs (more in hubaction.github.input_rules) -------------------------------


def reference(repository: str, tag: str) -> Reference | None:
    """The image that ``repository`` and ``tag`` name (``None``: no ``repository``)."""
    if not repository:
        return None
    try:
        ref = parse_reference(repository, default_tag=None)
    except InvalidInput as exc:
        raise InvalidInput(
            f"Input `repository`: {exc}. Expected a repository such as `node`, `myorg/app`, "
            "`ghcr.io/org/app` or `localhost:5000/app`, optionally with `:tag` or `@sha256:...`"
        ) from None
    # `tag` defaults to `latest` in action.yml, so the runner always sets it: only a value
    # other than the default conflicts with a tag or digest carried by `repository`.
    if ref.tag is not None or ref.digest is not None:
        if tag != TAG.default:
            raise InvalidInput(
                f"Input `repository` ({repository!r}) already carries a tag or digest, and input "
                f"`tag` is {tag!r}: leave `tag` empty or remove the tag from `repository`"
            )
        return ref
    try:
        if ":" in tag:
            return ref.with_digest(parse_digest(tag))
        return ref.with_tag(parse_tag(tag))
    except InvalidInput as exc:
        raise InvalidInput(f"Input `tag`: {exc}. Expected {TAG_FORM}") from None


# -- all of them ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionInputs:
    """Every input, parsed and validated."""

    reference: Reference | None
    credentials: CredentialStore
    platform: Platform
    digest_only: bool
    list_tags: bool
    tag_filter: re.Pattern[str] | None
    tag_sort: str
    max_tags: int
    compare_digest: Digest | None
    base_image: Reference | None
    dockerfile: str
    dockerfile_images: tuple[BaseImage, ...]
    fail_on_missing: bool
    namespace: str
    list_namespaces: bool
    summary: bool
    insecure: bool
    hub_url: str
    timeout: float = 120.0  # seconds for the whole run (the run's Deadline)
    #: Look up the image's referrers (issue 16); off by default, so no request is added.
    referrers: bool = False
    # `platform: all`: every platform resolved and compared; `platform` is then linux/amd64.
    all_platforms: bool = False
    # wait-for, wait-timeout, release-version, max-age
    decisions: decide.Decisions = field(default_factory=decide.Decisions)
    images: tuple[ImageLine, ...] = ()  # the `images` input (github/many.py)

    #: ``update-dockerfile`` (issue 17), and the Dockerfile's text as read, to rewrite.
    update_dockerfile: bool = False
    dockerfile_text: str = ""


def read_decisions(
    get_input: GetInput, ref: Reference | None, compare: Digest | None, digest_only: bool
) -> decide.Decisions:
    decisions = decide.Decisions(
        wait_for=WAIT_FOR.read(get_input),
        wait_timeout=WAIT_TIMEOUT.read(get_input),
        release_version=RELEASE_VERSION.read(get_input),
        max_age=MAX_AGE.read(get_input),
    )
    decide.check_decisions(decisions, ref=ref, compare=compare, digest_only=digest_only)
    return decisions


def _what_to_look_up(
    get_input: GetInput,
) -> tuple[Reference | None, str, bool, tuple[ImageLine, ...]]:
    """``repository`` (with ``tag``), ``namespace``, ``list-namespaces``, ``images``: at least
    one of them, or ``dockerfile``."""
    ref = reference(REPOSITORY.read(get_input), TAG.read(get_input))
    namespace = NAMESPACE.read(get_input)
    list_namespaces = LIST_NAMESPACES.read(get_input)
    require_something_to_look_up(
        ref,
        namespace=namespace,
        list_namespaces=list_namespaces,
        dockerfile=get_input(DOCKERFILE.name),
        images=get_input(IMAGES.name),
    )
    return ref, namespace, list_namespaces, IMAGES.read(get_input)


def read_inputs(get_input: GetInput, login: LoginConfig | None = None) -> ActionInputs:
    """Every input parsed and checked, with ``login``'s credentials (:func:`read_login_config`)
    when no input gives any; the first bad one raises :class:`InvalidInput`."""
    ref, namespace, list_namespaces, images = _what_to_look_up(get_input)
    # `username`/`password` go to the registry of `repository`, else of the first `images` line.
    primary = ref if ref is not None or not images else images[0].reference
    username, password = USERNAME.read(get_input), PASSWORD.read(get_input)
    store = credentials(username, password, DOCKER_CONFIG.read(get_input), primary)
    platform = PLATFORM.read(get_input)
    sort = TAG_SORT.read(get_input)
    require_hub_for_updated(sort, ref)
    compare = COMPARE_DIGEST.read(get_input)
    base = BASE_IMAGE.read(get_input)
    digest_only = DIGEST_ONLY.read(get_input)
    refuse_base_image_with_digest_only(base, digest_only)
    all_platforms = is_all_platforms(get_input(PLATFORM.name))
    refuse_all_platforms_with_digest_only(all_platforms, digest_only)
    hub_url = HUB_URL.read(get_input)
    list_tags, tag_filter = LIST_TAGS.read(get_input), TAG_FILTER.read(get_input)
    max_tags = MAX_TAGS.read(get_input)
    dockerfile = DOCKERFILE.read(get_input)
    decisions = read_decisions(get_input, ref, compare, digest_only)
    if login is not None:
        hub = bool(namespace or list_namespaces)
        needed = registries_to_log_in(ref, base, dockerfile.images, hub=hub, others=images)
        store = credentials(username, password, login.credentials(needed), primary)
    return ActionInputs(
        reference=ref,
        credentials=store,
        platform=platform,
        digest_only=digest_only,
        list_tags=list_tags,
        tag_filter=tag_filter,
        tag_sort=sort,
        max_tags=max_tags,
        compare_digest=compare,
        base_image=base,
        dockerfile=dockerfile.path,
        dockerfile_images=dockerfile.images,
        fail_on_missing=FAIL_ON_MISSING.read(get_input),
        namespace=namespace,
        list_namespaces=list_namespaces,
        summary=SUMMARY.read(get_input),
        insecure=INSECURE.read(get_input),
        hub_url=hub_url,
        timeout=TIMEOUT.read(get_input),
        referrers=_referrers(get_input, digest_only),
        all_platforms=all_platforms,
        decisions=decisions,
        images=images,
        update_dockerfile=require_dockerfile_to_update(
            UPDATE_DOCKERFILE.read(get_input), dockerfile.path
        ),
        dockerfile_text=dockerfile.text,
    )


def _referrers(get_input: GetInput, digest_only: bool) -> bool:
    referrers = REFERRERS.read(get_input)
    refuse_referrers_with_digest_only(referrers, digest_only)
    return referrers
