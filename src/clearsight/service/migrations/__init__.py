"""Alembic migrations of the service database (run by clearsight.service.db.migrate)."""
