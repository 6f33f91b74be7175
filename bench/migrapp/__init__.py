"""A throwaway tenant app for the migrate_societies benchmark: one table a timed run."""

NOTES = 16  # its migrations: two timed runs (one process, two) for each of seven rounds, and two for the stock command
