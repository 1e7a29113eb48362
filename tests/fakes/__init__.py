"""Fake servers for the tests: one base (:mod:`fakes.server`) and the fakes built on it."""
