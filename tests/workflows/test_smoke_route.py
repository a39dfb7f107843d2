from apps.plans.models import Status
from tests.factories import open_task, submitted
from workflows import services as approvals


def test_medium_plan_goes_from_review_to_approved(user):
    plan = submitted(user("maple.planner"))
    task = open_task(plan, step="review")
    approvals.task_decide(actor=user("maple.sales"), task_id=task.pk, outcome="approve")
    plan.refresh_from_db()
    assert plan.status == Status.AWAITING_SIGNOFF
    task = open_task(plan, step="sign_off")
    approvals.task_decide(actor=user("maple.salesdir"), task_id=task.pk, outcome="approve")
    plan.refresh_from_db()
    assert plan.status == Status.APPROVED
