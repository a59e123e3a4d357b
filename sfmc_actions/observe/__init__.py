"""Observability shared by every stage: structured, secret-free logging and Prometheus metrics."""
