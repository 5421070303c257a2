"""Kizuna's test suite: unit tests, and integration tests against real servers."""
