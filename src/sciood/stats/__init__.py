"""sciood.stats."""
