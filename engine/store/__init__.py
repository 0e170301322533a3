"""SQLAlchemy models and the only SQL of the service (repositories, work-list queries)."""
