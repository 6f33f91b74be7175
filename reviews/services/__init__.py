"""Write services of the reviews app, one module per subdomain.

calls (call, committee, invitations) · submissions (submit, edit, withdraw, camera-ready) ·
conflicts (automatic and declared) · assignment_service (bids, solver, hand edits) ·
reviews (review forms, discussion, reminders) · decisions (decisions, notifications).
"""
