from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

# The benchmark's helpers (bench/load.py starts the service's processes) are
# importable by the tests as `load`.
sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))

# `make test` (and CI) run each property on 150 examples, within the suite's
# 12 minutes; `make soak` (SOAK=1) runs those without their own count on 1,000.
settings.register_profile(
    "default", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "soak", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("soak" if os.environ.get("SOAK") else "default")
