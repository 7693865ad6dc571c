.PHONY: run test bench security backup restore db-roles

run:  ## the app with demo data on http://127.0.0.1:8000 (SQLite, in-process tasks)
	scripts/run

test:  ## the whole suite on PostgreSQL + Redis, with lint and browser tests
	scripts/test

bench:  ## performance figures beside the SPEC's targets (PostgreSQL database cdmo_bench)
	scripts/bench

backup:  ## pg_dump -Fc of DATABASE_URL into var/backups/, with its check manifest
	scripts/backup

restore:  ## make restore FILE=var/backups/<timestamp>.dump [NAME=db]: into a fresh database, checked
	scripts/restore $(FILE) $(NAME)

security:  ## authenticated sqlmap and wapiti scans of the demo on 127.0.0.1 (about 20 minutes)
	scripts/security

db-roles:  ## production roles: the migrations' owner owns every table, the app role owns nothing
	scripts/bootstrap app
	.venv/bin/python -m cdmo_portal.db_roles
