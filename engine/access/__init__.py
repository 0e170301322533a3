"""Access: who may read a case and act in a lane (rules) and the append-only access log."""
