"""Processes: deployed versions (deploy, validate, the parsed spec per version) and the runtime cache."""
