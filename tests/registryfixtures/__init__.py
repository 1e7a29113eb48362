"""Integration-test infrastructure: real registries on 127.0.0.1 and the images pushed to them.

Everything here drives real programs, never fakes:

* :mod:`registryfixtures.server` starts the CNCF distribution registry (Debian's
  ``docker-registry`` 2.8) in three modes sharing one storage directory (open, htpasswd basic
  auth, token auth), and wraps ``skopeo`` as an independent second opinion on digests.
* :mod:`registryfixtures.content` builds small but real images (gzip tar layers, image configs,
  Docker v2 manifests, OCI manifests, OCI indexes, Docker manifest lists);
  :mod:`registryfixtures.images` pushes them through the Registry HTTP API, recording every
  digest computed from the exact bytes pushed.

The token server the token-auth registry sends clients to is a fake, :mod:`fakes.tokenserver`.
The pytest fixtures that tie these together live in ``tests/conftest.py``. This package is a
top-level package because pytest puts ``tests/`` (a directory without ``__init__.py``) on
``sys.path`` when it imports ``tests/conftest.py`` in its default "prepend" import mode.
"""

from __future__ import annotations

from registryfixtures.images import Fixtures, PlatformImage, PushedImage, push_all
from registryfixtures.server import (
    RegistryProcess,
    RegistryStartError,
    ToolMissing,
    require_tool,
    skopeo_digest,
    skopeo_inspect,
    skopeo_inspect_digest,
    skopeo_inspect_raw,
)

#: Account of the htpasswd registry (``basic_registry``).
BASIC_USER = "alice"
#: Test-only secret, random-looking on purpose so a leak into logs is easy to grep for.
BASIC_PASSWORD = "b4s1c-Pw-7Qx9-kZ2m-hubaction-test"
#: Account of the token server (``token_server`` / ``token_registry``); also the push account.
TOKEN_USER = "alice"
#: Test-only secret for the token server, distinct from :data:`BASIC_PASSWORD` so a test that
#: sends the wrong one to the wrong place fails.
TOKEN_PASSWORD = "t0k3n-Pw-R8v3-Lq5n-hubaction-test"
#: ``service`` and ``issuer`` that the token-auth registry expects.
TOKEN_SERVICE = "test-registry"
TOKEN_ISSUER = "test-issuer"
#: Realm of the htpasswd registry's ``WWW-Authenticate: Basic`` challenge.
BASIC_REALM = "test-basic"

__all__ = [
    "BASIC_PASSWORD",
    "BASIC_REALM",
    "BASIC_USER",
    "TOKEN_ISSUER",
    "TOKEN_PASSWORD",
    "TOKEN_SERVICE",
    "TOKEN_USER",
    "Fixtures",
    "PlatformImage",
    "PushedImage",
    "RegistryProcess",
    "RegistryStartError",
    "ToolMissing",
    "push_all",
    "require_tool",
    "skopeo_digest",
    "skopeo_inspect",
    "skopeo_inspect_digest",
    "skopeo_inspect_raw",
]
