"""sciood.metrics."""
