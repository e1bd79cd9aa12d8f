"""Shared pieces of the benchmarks: servers, wrk, /proc readings, tables."""
