"""Medians, ratios and tables (plain text for the terminal, markdown for docs)."""

import math
import statistics


def median(values):
    values = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(values) if values else float("nan")


def ratio(a, b):
    return a / b if b else float("nan")


def human_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def text_table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    out = [line(headers), line("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def markdown_table(headers, rows):
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def write_markdown(path, title, facts, headers, rows, notes="", more=()):
    """A section for docs/benchmarks.md: a title, a list of facts, the table,
    then any further (caption, headers, rows) tables."""
    with open(path, "w") as f:
        f.write(f"## {title}\n\n")
        f.write("".join(f"- {fact}\n" for fact in facts))
        f.write("\n" + markdown_table(headers, rows) + "\n")
        if notes:
            f.write("\n" + notes + "\n")
        for caption, more_headers, more_rows in more:
            f.write(f"\n{caption}\n\n" + markdown_table(more_headers, more_rows) + "\n")
