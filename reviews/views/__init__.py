"""Pages of the reviews app: author.py (submissions), reviewer.py (invitations, bids, reviews),
chair.py (programme chair console), exports.py (programme and abstract book)."""
