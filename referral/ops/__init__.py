"""Operations: heartbeats of the background jobs, Prometheus metrics and the beat's liveness CLI."""
