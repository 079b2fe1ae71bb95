"""Rendering of runs for people: terminal tables, timelines, live output, plots.

Import the modules themselves; this package imports nothing eagerly (start-up time).
"""
