"""A throwaway tenant app for the migrate_societies benchmark: one table a timed run."""

NOTES = 14  # its migrations: two timed runs (sequential, two processes) for each of seven rounds
