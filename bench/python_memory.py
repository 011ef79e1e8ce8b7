"""Peak memory of the Python package scoring N demo leads (no events) with factors, one run.

    ~/.cache/leadscore-test-venv/bin/python bench/python_memory.py 200000 [FACTORS]

Run from the repository root with the package installed (`bash tests/run.sh` installs it into
the test environment). Prints N, the peak RSS of the process, and what scoring added to it.
"""
import resource
import sys

import pandas as pd

import leadscore

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
factors = int(sys.argv[2]) if len(sys.argv) > 2 else 3
model = leadscore.load("models/demo.json", target_precision=0.5)
leads = pd.read_csv("data/demo/leads.csv", dtype=str)
big = pd.concat([leads] * (n // len(leads) + 1), ignore_index=True).head(n)
big["lead_id"] = [f"X{i}" for i in range(n)]
events = pd.DataFrame({"lead_id": [], "event_type": [], "occurred_at": []}, dtype=str)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = model.score(big, events=events, as_of="2026-01-01T00:00:00Z", factors=factors)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{n} leads, factors={factors}: peak RSS {after // 1024} MiB, scoring added {(after - before) // 1024} MiB")
