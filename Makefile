.PHONY: run test bench

run:  ## the app with demo data on http://127.0.0.1:8000 (SQLite, in-process tasks)
	scripts/run

test:  ## the whole suite on PostgreSQL + Redis, with lint and browser tests
	scripts/test

bench:  ## performance figures beside the SPEC's targets (PostgreSQL database cdmo_bench)
	scripts/bench
