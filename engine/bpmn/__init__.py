"""SpiffWorkflow and nothing else: parsing, running, timers, scripts, lanes.

This package never imports Flask or the store; ``tests/test_layering.py`` enforces it.
"""
