"""hubaction: what exactly is this image right now?

Looks up images in Docker Hub and any registry speaking the OCI distribution API: the digest a
tag points to, its platforms and config, its tags; for GitHub Actions and the command line.

Layers: pure modules (``reference``, ``platform``, ``challenge``, ``mediatypes``,
``manifest``, ``model``, ``tags``, ``credentials``, ``dockerfile``, ``basecheck``, ``outputs``,
``summary``, ``toolkit``, ``contract``) never import ``requests``; I/O modules (``transport``,
``auth``, ``registry``, ``lookup``, ``hub``) take a ``requests.Session``; ``headstart`` is the
one piece of I/O that runs before ``requests`` is imported (standard library only, handing its
connections and answer over to the session); ``action``, ``steps`` and ``cli`` only wire them.
"""

__version__ = "0.1.0"

USER_AGENT = f"hubaction/{__version__} (+https://github.com/hubaction/hubaction)"
