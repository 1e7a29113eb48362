"""Pure grammar and models of images: references, registry hosts, digests, platforms, media
types, manifests, the ``WWW-Authenticate`` and ``Link`` headers, tag selection and the
base-image check.

Nothing here does I/O or imports an HTTP library (an import-linter contract checks it).
"""
