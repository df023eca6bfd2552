"""sciood.report."""
