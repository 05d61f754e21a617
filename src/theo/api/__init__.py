"""The HTTP API and the dashboard's server (FastAPI): routes, auth, the live event stream.

``services/`` holds the operator commands (read a trade list, halt trading, save a strategy setting). They are
written once there and called by the API routes and by the Telegram bot, never reimplemented in either.
"""
