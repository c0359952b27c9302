"""Operations: dashboard rollups and stats selectors, Prometheus metrics, health checks, JSON logs."""
