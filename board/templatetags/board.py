from django import template
from django.utils.html import json_script

register = template.Library()


@register.simple_tag
def chart_data(table):
    """The table's chart data as a JSON script element, id ``data-<key>``."""
    return json_script(table.spec(), f"data-{table.key}")


@register.filter
def shown(table, k):
    """The table's rows as displayed (see board.selectors.Table.display_rows)."""
    return table.display_rows(k)
