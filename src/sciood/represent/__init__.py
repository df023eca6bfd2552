"""sciood.represent."""
