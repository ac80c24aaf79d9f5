"""Writes a Prometheus text-format (0.0.4) exposition of N series to stdout (bench/observe.sh).

1,000 counter families (fewer when N is small) with HELP and TYPE lines, each with
N / families series of four labels; about 80 bytes per series line.
"""
import sys

n_series = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
n_families = min(1000, max(1, n_series // 100))
per_family = n_series // n_families
out = sys.stdout
methods = ("GET", "POST", "PUT", "DELETE")
for family in range(n_families):
    name = f"app_{family:04d}_requests_total"
    out.write(f"# HELP {name} Requests handled by component {family}.\n# TYPE {name} counter\n")
    lines = []
    for series in range(per_family):
        lines.append(
            f'{name}{{method="{methods[series % 4]}",code="{200 + series % 7}",'
            f'handler="/items/{series}",pod="p-{series % 97}"}} {series * 7 + family}\n'
        )
    out.write("".join(lines))
