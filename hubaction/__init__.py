"""hubaction: what exactly is this image right now?

Looks up images in Docker Hub and any registry speaking the OCI distribution API: the digest a
tag points to, its platforms and config, its tags; for GitHub Actions and the command line.

Layers: pure modules (``reference``, ``platform``, ``challenge``, ``manifest``, ``tags``,
``summary``, ``toolkit``) never import ``requests``; I/O modules (``http``, ``auth``,
``registry``, ``hub``) take a ``requests.Session``; ``action`` and ``cli`` only wire them.
"""

__version__ = "0.1.0"

USER_AGENT = f"hubaction/{__version__} (+https://github.com/hubaction/hubaction)"
