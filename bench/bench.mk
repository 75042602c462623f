# bench/: the performance suite (see bench/README.md). Included at the very end of the main
# Makefile, so VENV, PY and the setup target (venv + node_modules for DynamoDB Local) come from there.
# `make test` runs bench-smoke; the full suite is never part of it.

BENCH_SMOKE_OUT ?= $(or $(TMPDIR),/tmp)/mbc-bench-smoke.md

.PHONY: bench bench-smoke

# Every section at full size; writes docs/benchmarks.md (about 14 minutes; BENCH_FULL=1 adds
# 10,000 members in real time at 14/s, about 13 minutes more).
bench: setup
	$(PY) -m bench

# Tiny sizes, one repetition, about 35 s; exits 1 if an invariant breaks (duplicates, DynamoDB calls
# above the design minimum or growing with the table, the signup POST's calls differing by address
# state, duplicates under injected faults beyond the allowance, a heavy import on a cold GET /events).
# Writes $(BENCH_SMOKE_OUT).
bench-smoke: setup
	$(PY) -m bench --smoke --strict --out $(BENCH_SMOKE_OUT)
