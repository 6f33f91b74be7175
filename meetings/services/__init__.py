"""Write services of the meetings app, split by subdomain:

- ``organise``: meetings, registration types, add-ons, codes, questions, refund rules, states
- ``registration``: register (seat hold or waitlist), payment confirmation, expiry, cancel, transfer
- ``waitlist``: promoting waiting attendees when seats free
- ``groups``: an institution's group registration and substitutions (换人)
- ``checkin``: on-site check-in
- ``documents``: badges and certificates
"""
