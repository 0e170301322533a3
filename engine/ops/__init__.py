"""Operations: the stuck-case list and system panel, repairs, suspend/resume/terminate, migration, metrics."""
