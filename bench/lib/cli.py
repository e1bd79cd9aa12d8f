"""Command-line arguments every benchmark takes."""
import argparse

from . import servers


def parser(doc):
    """A parser with the binary, --markdown and --quick arguments already added."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("binary", nargs="?", default=servers.default_binary(),
                   help="the cache-tier executable (default: build/cache-tier)")
    p.add_argument("--markdown", metavar="FILE", help="also write the results as a markdown table to FILE")
    p.add_argument("--quick", action="store_true", help="a smoke run: fewer and shorter runs")
    return p


def add_pinning(p):
    p.add_argument("--no-pin", action="store_true", help="do not pin the servers to core 0 and wrk to core 1")
