"""Fake servers for the tests: one base and the fakes built on it.

* :mod:`fakes.server`: :class:`~fakes.server.FakeServer` serves a handler function
  (``Request -> Response``) on ``127.0.0.1:<free port>``, records every request once
  (``exchanges``), stops cleanly; ``start()``/``stop()`` or ``with``. The ``serve`` fixture of
  ``tests/conftest.py`` gives a started one that stops after the test. Its
  :class:`~fakes.server.SilentListener` accepts connections and never says a byte.
* :mod:`fakes.reqresp`: a table of request/response pairs as one fake; start here for a new
  test that needs a registry to say something specific.
* :mod:`fakes.transport`: the same handlers in process, mounted on a ``requests`` session,
  for hosts loopback cannot be (``https://registry.test``, ``registry-1.docker.io``).
* :mod:`fakes.faultproxy`: a reverse proxy whose faults (status, reset, truncate, corrupt,
  slow, hang) are wrappers around handlers, in front of a real registry.
* :mod:`fakes.hubserver` (data in :mod:`fakes.hubdata`): the Docker Hub API.
* :mod:`fakes.tokenserver`: Docker's registry token protocol, with real ES256 JWTs.
* :mod:`fakes.authregistry`: a registry behind the auth schemes of ACR, ECR, GAR, GitLab,
  ghcr.io and Pulp, checking the token server's JWTs.
* :mod:`fakes.tls`: a CA and a server certificate, for a fake served over HTTPS.
* :mod:`fakes.clock`: a clock whose ``sleep`` records the wait and returns at once (the
  ``retry_clock`` fixture puts it under hubaction's retries).

Real registries (``docker-registry`` processes) are not fakes: see ``registryfixtures``.
"""
