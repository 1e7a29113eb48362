"""Docker Hub's own API (``hub.docker.com``): namespaces, repositories and tag metadata."""
