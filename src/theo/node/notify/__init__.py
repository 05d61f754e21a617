"""Notifications (plan §12): engine events become Telegram alerts; the bot answers operator commands.

The notifier is a bus subscriber: trading never waits on Telegram (see :mod:`theo.node.notify.notifier`).
"""
