"""The benchmark: the app against a hand-written SQL baseline, on databases of growing size.

    python -m bench                     the full run (see README, "Performance")
    python -m bench --smoke             a tiny run that checks the machinery works

See bench/run.py for what it measures and how.
"""
