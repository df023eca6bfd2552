"""sciood.domains: science domains beside the collider one.

Each sub-package (``sciood.domains.gw``, …) generates its own :class:`~sciood.data.EventSet`
and builds its own representations; the shared stages (detectors, evaluate, stats, report)
never import a domain package — they only see event sets, arrays and weights.
"""

__all__: list[str] = []
