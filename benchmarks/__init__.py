"""Side-by-side benchmarks of rtc.ec2_fleet against the anchors it competes with.

Each benchmark is a module ``bench_<name>.py`` with ``NAME``, ``DESCRIPTION``, ``ANCHOR`` (a dict
with ``name`` and ``why``) and ``run() -> list of cases``. ``python -m benchmarks`` runs them,
writes ``benchmarks/results/<name>.json`` and regenerates ``docs/benchmarks.md`` from those files.
"""

OURS = "rtc.ec2_fleet"
