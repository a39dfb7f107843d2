"""The approval route of a marketing plan, as one viewflow flow.

Wiring only: each callback is a line or two that asks the gateway conditions
or the engine's hooks. The same flow serves every company size; the plan's
frozen route says how many departments review and whether their review binds.
"""

from viewflow import this
from viewflow.workflow import flow

from apps.org.policy import Step

from . import conditions, hooks
from .gateways import Join, StartHandle, Switch
from .lock import process_row_lock
from .models import ApprovalTask, PlanProcess
from .nodes import ApprovalStep, DepartmentSplit, RevisePageView, TaskPageView


class PlanApprovalFlow(flow.Flow):
    """Plan approval

    Marketing drafts; for a sales target every reviewing sales department first
    gives its own forecast; sales reviews (in parallel by region in a large
    company), a director signs off; requests for changes loop back to the author.
    A signed-off plan goes to sales: every executing department takes it up, then
    it is carried out (sales files market feedback) until it is closed.
    """

    process_class = PlanProcess
    task_class = ApprovalTask
    # viewflow's select_for_update_lock fails inside a service's transaction: see .lock
    lock_impl = process_row_lock

    start = (
        StartHandle(this.start_process)
        .Annotation(title="Plan submitted")
        .Next(this.check_forecasts)
    )

    check_forecasts = (
        Switch()
        .Annotation(title="A sales target?")
        .Case(this.split_forecasts, this.needs_forecasts)
        .Default(this.split_reviews)
    )

    split_forecasts = (
        DepartmentSplit(departments=this.review_departments)
        .Annotation(title="Ask every reviewing department for its forecast")
        .Next(this.forecast)
    )

    forecast = (
        ApprovalStep(TaskPageView.as_view(), step=Step.FORECAST)
        .Annotation(
            title="Sales forecast", description="A sales department gives its own forecast."
        )
        .onCreate(this.task_created)
        .Next(this.join_forecasts)
    )

    join_forecasts = Join().Annotation(title="Every forecast in").Next(this.split_reviews)

    split_reviews = (
        DepartmentSplit(departments=this.review_departments)
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
        Join(continue_on_condition=this.review_round_closed)
        .Annotation(title="All reviews in")
        .Next(this.check_reviews)
    )

    check_reviews = (
        Switch()
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
        Switch()
        .Annotation(title="Signed off?")
        .Case(this.split_take_up, this.signed_off)
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

    split_take_up = (
        DepartmentSplit(departments=this.executing_departments)
        .Annotation(title="Hand over to every executing department")
        .Next(this.take_up)
    )

    take_up = (
        ApprovalStep(TaskPageView.as_view(), step=Step.TAKE_UP)
        .Annotation(
            title="Take-up by sales", description="Sales acknowledges, adopts, adapts or declines."
        )
        .onCreate(this.task_created)
        .Next(this.join_take_up)
    )

    join_take_up = Join().Annotation(title="Every department took it up").Next(this.execution)

    execution = (
        flow.Handle()
        .Annotation(
            title="In execution", description="Sales files market feedback; closed with a summary."
        )
        .Next(this.closed)
    )

    closed = flow.End().Annotation(title="Closed")
    # Processes signed off before execution existed ended here; kept so that they still load.
    approved = flow.End().Annotation(title="Approved")
    rejected = flow.End().Annotation(title="Rejected")

    def start_process(self, activation, plan):
        activation.process.plan = plan
        return activation.process

    def needs_forecasts(self, activation):
        return conditions.needs_forecasts(activation.process)

    def review_departments(self, activation):
        return conditions.review_departments(activation.process)

    def executing_departments(self, activation):
        return conditions.executing_departments(activation.process)

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
