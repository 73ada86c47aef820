"""Turns service results into text, charts and files."""
