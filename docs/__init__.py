"""Not an importable package: this file only gives docs/conftest.py a module name of its own
(docs.conftest), which would otherwise clash with tests/conftest.py under pytest."""
