"""Dockerfiles: reading one as BuildKit does, and the base images of its ``FROM`` lines."""
