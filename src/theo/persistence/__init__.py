"""Persistence: database engines, models, migrations, repositories (where SQL lives), the cold archive."""
