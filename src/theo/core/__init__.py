"""Foundations every layer uses: errors, clock, time converters, logging, the message bus, exchange calendars."""
