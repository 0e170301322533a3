"""Blueprints: the JSON API (and, later, caseworker, admin and process-owner pages)."""
