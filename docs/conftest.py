"""pytest runs the ``>>>`` examples of the docs pages (``--doctest-glob=*.md``), not these."""

# Sphinx's configuration and extension are not test modules; the conformance reports, the
# generated gallery and API pages and the built site hold no examples of their own.
collect_ignore = ["conf.py", "_ext", "_build"]
collect_ignore_glob = ["conformance/*/report.*", "api/generated/*", "gallery/*"]
