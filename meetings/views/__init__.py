"""Pages of the meetings app: ``public`` (meeting pages, registering, my registrations),
``console`` (organisers), ``checkin`` (the on-site desk)."""
