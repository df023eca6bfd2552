"""Hostile inputs and faults, one module per category.

Every case carries ``@pytest.mark.hostile(category, outcome)`` (categories and outcomes:
``tests/conftest.py``); a run ends with a tally per category and outcome.
"""
