"""The recommendations and local inquiries tracker: who must act on what, what they say, what is verified.

``register`` holds the domain operations (every write a row plus its audit-log entry in one transaction),
``views`` the read side (the register as dictionaries for pages, the API, exports and the CLI), ``seed``
loads the reference data shipped in ``data/``; ``pages``/``pages_panel`` are the service's pages and API,
``commands`` the ``clearsight tracker`` commands.
"""
