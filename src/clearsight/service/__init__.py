"""The Clearsight web service: mandatory report intake, triage queues, accounts, roles and the audit log.

``create_app(database_url)`` builds the FastAPI app; ``clearsight serve`` runs it with uvicorn.
"""

from clearsight.service.app import create_app

__all__ = ["create_app"]
