"""What the kernel knows about a server process: CPU time and peak memory.

Read from /proc so the benchmark needs nothing but Python's standard library.
"""

import os

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of the whole process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    # The command name is in parentheses and may hold spaces: split after it.
    fields = text[text.rindex(")") + 2:].split()
    # Fields 14 and 15 of proc(5) (utime, stime) are at 11 and 12 here.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def status_kb(pid, key):
    """A "kB" line of /proc/PID/status, e.g. VmHWM (peak resident set size)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(f"{key} not in /proc/{pid}/status")


def peak_rss_kb(pid):
    return status_kb(pid, "VmHWM")


def children(pid):
    """Direct children of a process (nginx's workers under its master)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                text = f.read()
        except OSError:
            continue
        ppid = int(text[text.rindex(")") + 2:].split()[1])
        if ppid == pid:
            found.append(int(entry))
    return sorted(found)


def machine_description():
    """One line naming the CPU, the core count and the kernel."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    uname = os.uname()
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model}, {os.cpu_count()} cores, {mem_gib:.0f} GiB, Linux {uname.release} {uname.machine}"
