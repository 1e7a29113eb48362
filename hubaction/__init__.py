"""hubaction: what exactly is this image right now?

Looks up images in Docker Hub and any registry speaking the OCI distribution API: the digest a
tag points to, its platforms and config, its tags; for GitHub Actions and the command line.

Layers, from the bottom: ``oci`` (pure grammar and models), ``registry`` and ``dockerhub``
(I/O), ``dockerfile`` (reading Dockerfiles), ``github`` and ``cli`` (the front ends, wiring
only). CONTRIBUTING.md shows the tree and the rules that import-linter checks.
"""

__version__ = "0.1.0"

USER_AGENT = f"hubaction/{__version__} (+https://github.com/hubaction/hubaction)"
