"""Extraction speed on a 10 MB work-points text (the seed's annex repeated): median of 5 runs, in seconds.

    python bench/bench_extract.py
"""

import statistics
import time
from importlib import resources

from citysafe.workplans.extract import extract_bytes


def main() -> None:
    seed = (resources.files("citysafe.workplans") / "data" / "chongqing-2026-work-points.txt").read_text("utf-8")
    body = seed.split("附件", 1)[0]
    text = body + ("\n" + body.split("一、", 1)[1]) * (10_000_000 // len(body.encode("utf-8")))
    data = text.encode("utf-8")[:10_000_000].decode("utf-8", "ignore").encode("utf-8")
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        plan = extract_bytes(data, "big.txt")
        runs.append(time.perf_counter() - started)
    print(f"10 MB text: {len(plan.tasks)} tasks; median {statistics.median(runs):.2f} s "
          f"(min {min(runs):.2f}, max {max(runs):.2f}) over {len(runs)} runs")


if __name__ == "__main__":
    main()
