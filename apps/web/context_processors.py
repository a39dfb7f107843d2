"""Template context: the signed-in user's company and roles."""

from apps.org.policy import membership_of


def membership(request):
    member = membership_of(getattr(request, "user", None))
    if member is None:
        return {"membership": None, "company": None, "roles": set()}
    roles = member.role_names
    return {"membership": member, "company": member.company, "roles": roles}
