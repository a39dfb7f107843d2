"""``{% audit_timeline events as groups %}``: a plan's events shaped for the timeline."""

from django import template

from apps.audit.timeline import timeline
from apps.plans.history import label

register = template.Library()


@register.simple_tag
def audit_timeline(events):
    """Revision groups of the events, each entry labelled with its step's and statuses' names."""
    groups = timeline(events)
    for group in groups:
        for entry in group.entries:
            label(entry.event)
    return groups
