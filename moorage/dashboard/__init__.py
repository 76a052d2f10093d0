"""The web dashboard at ``/dashboard/``: a client of the v1 API, served by the same process.

It is the top layer, beside ``moorage.cli``: it calls the public API over HTTP
(``client``) with the signed-in user's credentials, and imports nothing of the
server's layers (database, services, conductor, drivers). ``mount`` adds it to
the API's application.
"""
