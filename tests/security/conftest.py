"""Tenant isolation, CSRF, logins, deployment settings and permission hygiene."""

import pytest

from apps.notifications.models import Notification
from apps.org.models import Company
from tests.factories import decide, forecast, submitted
from tests.reliability.figures import summary
from workflows import services as approvals

from .world import TARGET


def pytest_terminal_summary(terminalreporter):
    summary(terminalreporter)


@pytest.fixture
def maple(world, user):
    """Red Maple with a plan in every state (closed after execution included): every flow node
    has a task to point at, and there is market feedback to point at."""
    planner, sales, gm = user("maple.planner"), user("maple.sales"), user("maple.gm")
    rejected = submitted(planner, title="Maple rejected plan")
    decide(rejected, sales, "reject", "Not for our stores.")
    approved = submitted(planner, title="Maple approved plan")
    decide(approved, sales, "approve")
    decide(approved, gm, "approve", step="sign_off")
    decide(approved, sales, "acknowledge", step="take_up")  # now in execution
    approvals.feedback_file(
        actor=sales, plan_id=approved.pk, kind="competitors", text="A rival cut prices."
    )
    approvals.plan_close(actor=planner, plan_id=approved.pk, summary="Done; see the feedback.")
    target = {
        "period": "2027 H1",
        "target": "400000",
        "market_forecast": "430000",
        "execution_monitoring": "Monthly sell-out reports",
    }
    # a sales target waiting for sales' own forecast, and one past it, in review
    submitted(planner, title="Maple sales target", kind="sales_target", content=target)
    forecast(
        submitted(planner, title="Maple target forecast", kind="sales_target", content=target),
        sales,
        "380000",
    )
    reworked = submitted(planner, title="Maple plan sent back")
    decide(reworked, sales, "request_changes", "Add the northern stores.")
    Notification.objects.create(
        user=sales,
        key="isolation",
        kind="task_queued",
        message="Maple secret",
        created_at=gm.date_joined,
    )
    return Company.objects.get(slug=TARGET)
