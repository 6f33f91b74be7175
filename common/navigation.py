"""The sections that the console and the member menu link to.

Each domain app serves its pages under the URL names listed here; a section whose URL does
not exist (an app not built yet) or whose roles the user lacks is simply not shown.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from common.models import Role


@dataclass(frozen=True)
class Section:
    url_name: str
    title: str
    description: str
    roles: tuple[str, ...] = ()  # empty: any logged-in person


CONSOLE_SECTIONS = [
    Section("members:console", _("Members"), _("Applications, members, renewals, imports."), (Role.ADMIN,)),
    Section("dues:console", _("Invoices and payments"), _("Dues, invoices, bank transfers, refunds."), (Role.FINANCE,)),
    Section("meetings:console", _("Meetings"), _("Registration, check-in, badges, certificates."), (Role.ORGANISER,)),
    Section(
        "reviews:console", _("Papers and review"), _("Calls, submissions, reviewers, decisions."), (Role.ORGANISER,)
    ),
    Section("board:society", _("Data board"), _("The society's figures over time."), (Role.ADMIN, Role.FINANCE)),
    Section("billing:society", _("Plan and subscription"), _("Your Xuehui plan and platform invoices."), (Role.ADMIN,)),
    Section("console_roles", _("Staff and roles"), _("Who may do what in this society."), (Role.ADMIN,)),
    Section("console_api_tokens", _("API tokens"), _("Keys for connecting other systems."), (Role.ADMIN,)),
    Section("console_audit", _("Audit log"), _("Every change, who made it and when."), (Role.ADMIN,)),
]

MEMBER_SECTIONS = [
    Section("members:me", _("My membership"), _("Status, card, profile.")),
    Section("dues:my_invoices", _("My invoices"), _("Invoices, receipts, payments.")),
    Section("meetings:my_registrations", _("My registrations"), _("Tickets and certificates.")),
    Section("reviews:my", _("My papers and reviews"), _("Submissions and review assignments.")),
]

PUBLIC_SECTIONS = [
    Section("members:apply", _("Join the society"), _("Apply for membership online.")),
    Section("meetings:list", _("Meetings"), _("Upcoming academic meetings.")),
]
