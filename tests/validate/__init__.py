"""Tests of the documentary validation checks."""
