"""The approval route of a marketing plan, as one viewflow flow.

Wiring only: each callback is a line or two that asks the gateway conditions
or the engine's hooks. The same flow serves every company size; the plan's
frozen route says how many departments review and whether their review binds.
"""

from viewflow import this
from viewflow.workflow import flow

from apps.org.policy import Step

from . import conditions, hooks
from .lock import process_row_lock
from .models import ApprovalTask, PlanProcess
from .nodes import ApprovalStep, ReviewSplit, RevisePageView, TaskPageView


class PlanApprovalFlow(flow.Flow):
    """Plan approval

    Marketing drafts, sales reviews (in parallel by region in a large
    company), a director signs off; requests for changes loop back to the author.
    """

    process_class = PlanProcess
    task_class = ApprovalTask
    # viewflow's select_for_update_lock fails inside a service's transaction: see .lock
    lock_impl = process_row_lock

    start = (
        flow.StartHandle(this.start_process)
        .Annotation(title="Plan submitted")
        .Next(this.split_reviews)
    )

    split_reviews = (
        ReviewSplit(departments=this.review_departments)
        .Annotation(title="Ask every reviewing department")
        .Next(this.review)
    )

    review = (
        ApprovalStep(TaskPageView.as_view(), step=Step.REVIEW)
        .Annotation(title="Sales review", description="A sales department reviews the plan.")
        .onCreate(this.task_created)
        .Next(this.join_reviews)
    )

    join_reviews = (
        flow.Join(continue_on_condition=this.review_round_closed)
        .Annotation(title="All reviews in")
        .Next(this.check_reviews)
    )

    check_reviews = (
        flow.Switch()
        .Annotation(title="Review outcome?")
        .Case(this.rejected, this.review_rejected)
        .Case(this.revise, this.review_wants_changes)
        .Default(this.sign_off)
    )

    sign_off = (
        ApprovalStep(TaskPageView.as_view(), step=Step.SIGN_OFF)
        .Annotation(title="Sign-off", description="The head who signs off decides.")
        .onCreate(this.task_created)
        .Next(this.check_sign_off)
    )

    check_sign_off = (
        flow.Switch()
        .Annotation(title="Signed off?")
        .Case(this.approved, this.signed_off)
        .Case(this.revise, this.sign_off_wants_changes)
        .Default(this.rejected)
    )

    revise = (
        ApprovalStep(RevisePageView.as_view(), step=Step.REVISE)
        .Annotation(title="Revise and resubmit", description="The author answers the request.")
        .Assign(this.plan_author)
        .onCreate(this.task_created)
        .Next(this.split_reviews)
    )

    approved = flow.End().Annotation(title="Approved")
    rejected = flow.End().Annotation(title="Rejected")

    def start_process(self, activation, plan):
        activation.process.plan = plan
        return activation.process

    def review_departments(self, activation):
        return conditions.review_departments(activation.process)

    def task_created(self, activation):
        hooks.task_opened(activation.task)

    def plan_author(self, activation):
        return activation.process.plan.author

    def review_round_closed(self, activation, active_tasks):
        return conditions.review_round_closed(activation.process)

    def review_rejected(self, activation):
        return conditions.review_rejected(activation.process)

    def review_wants_changes(self, activation):
        return conditions.review_wants_changes(activation.process)

    def signed_off(self, activation):
        return conditions.last_sign_off_is(activation.process, "approve")

    def sign_off_wants_changes(self, activation):
        return conditions.last_sign_off_is(activation.process, "request_changes")
