.PHONY: run test bench

run:  ## the app with demo data on http://127.0.0.1:8000 (SQLite, in-process tasks)
	scripts/run

test:  ## the whole suite on PostgreSQL + Redis, with lint and browser tests
	scripts/test

bench:  ## performance figures against the SPEC's targets (not yet: see README)
	@echo "The benchmark command arrives with the SLA engine (issue 9)."; exit 1
