"""sciood.detectors."""
