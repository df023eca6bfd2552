"""sciood.evaluate."""
