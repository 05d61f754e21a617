"""Cold archive of old ticks: write-once Parquet files with a SHA-256 manifest."""
