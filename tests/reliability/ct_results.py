"""One JSON file per reliability case, the input of scripts/reliability_report.py.

Every reliability test (load, soak, fault, security; C++ ones use
tests/support/reliability_result.hpp, which writes the same format) records
each case it tries with write_result(). The folder is $CACHE_TIER_RESULTS_DIR
(CTest sets it to <build>/reliability-results), else ./reliability-results.

    import ct_results
    ct_results.write_result(case="keepalive-10k", category="load",
                            measured="p99 latency of a normal client", value=4.2,
                            unit="ms", target="< 100 ms", passed=True,
                            details="10000 idle keep-alive connections held")

A case written again replaces its earlier file (the name is category.case).
A script with several cases uses Recorder("load", "floods.py").record(...),
which also prints each case and keeps the failed ones for its exit status.
"""

import datetime
import json
import os
import re
import sys

FIELDS = ("case", "category", "measured", "value", "unit", "target", "passed")


def results_dir():
    return os.environ.get("CACHE_TIER_RESULTS_DIR") or os.path.join(os.getcwd(), "reliability-results")


def file_name(category, case):
    # Case names become file names: keep them to a safe alphabet.
    return re.sub(r"[^A-Za-z0-9_.-]", "_", "%s.%s" % (category, case)) + ".json"


def write_result(case, category, measured, value, unit, target, passed, details="", test=None, **extra):
    """Write one case's result; returns the file's path. `value` is a number
    (or None when nothing could be measured), `target` a short text such as
    "< 100 ms" or "closed with 431"; `extra` fields (a series of samples, say)
    are kept in the file for whoever reads it, the report shows the others."""
    record = dict(extra)
    record.update({
        "case": case,
        "category": category,
        "measured": measured,
        "value": value,
        "unit": unit,
        "target": target,
        "passed": bool(passed),
        "details": details,
        "test": test or os.path.basename(sys.argv[0]),
        "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    })
    folder = results_dir()
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, file_name(category, case))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)  # a reader never sees half a file
    return path


class Recorder:
    """The cases of one test script: each written, printed, and remembered
    when it failed (the script's exit status then says so)."""

    def __init__(self, category, test):
        self.category, self.test, self.failures = category, test, []

    def record(self, case, measured, value, unit, target, passed, details="", **extra):
        write_result(case, self.category, measured, value, unit, target, passed, details, self.test, **extra)
        print("%-24s %s %s (target %s): %s; %s" % (case, value, unit, target, "pass" if passed else "FAIL",
                                                   details))
        if not passed:
            self.failures.append(case)
        return bool(passed)
