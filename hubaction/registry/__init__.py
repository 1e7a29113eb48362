"""I/O against registries (Registry HTTP API v2 / OCI distribution spec): the transport
(session, retries, timeouts, capped reads), the one response-to-error mapping (``errors``),
authentication, credentials, the client and the lookups that compose its calls.
"""
