"""The shared stages never import the GW domain (nor its physics libraries)."""

from __future__ import annotations

import json
import subprocess
import sys

SHARED = ["sciood", "sciood.data", "sciood.represent", "sciood.metrics", "sciood.detectors",
          "sciood.stats", "sciood.evaluate", "sciood.scoring", "sciood.plot", "sciood.config",
          "sciood.report", "sciood.pipeline", "sciood.cli"]


def test_shared_stages_do_not_import_the_domain():
    code = ("import importlib, json, sys\n"
            f"for m in {SHARED!r}: importlib.import_module(m)\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith("
            "('sciood.domains', 'pycbc', 'lal')))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    leaked = json.loads(out.stdout.strip().splitlines()[-1])
    assert leaked == [], f"shared stages import {leaked}"


def test_the_domain_imports_no_collider_code():
    code = ("import json, sys\nimport sciood.domains.gw\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith("
            "('sciood.reco', 'sciood.detectors', 'sciood.pipeline', 'sciood.stats')))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
