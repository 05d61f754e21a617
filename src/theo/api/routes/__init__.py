"""One module per area; each defines ``router`` (mounted under ``/api/v1`` by :func:`theo.api.app.create_app`).

A route is thin: it parses the request, builds the :class:`~theo.api.services.Actor` from the session and calls
the service layer (``theo.api.services``), which does the work and checks the role.
"""
