"""Users, passwords (argon2), login sessions, CSRF and login rate limiting."""
