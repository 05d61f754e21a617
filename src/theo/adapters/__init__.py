"""Venue adapters, one folder each with the same file names (config, data, execution, parsing, errors)."""
