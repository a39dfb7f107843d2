"""Every action on an approval: submit, cancel, claim, release, decide; feedback, close.

Web views, the API and background tasks all come through here. Each service
checks the actor's right to act itself (viewflow's transitions do not), takes
the process lock, saves what it changed, and writes exactly one history event
for the action in the same transaction.
"""

from ._common import TASK_FINISHED
from .execution import feedback_file, feedback_reply, may_reply, plan_close
from .plans import plan_cancel, plan_submit
from .tasks import task_claim, task_decide, task_release

__all__ = [
    "TASK_FINISHED",
    "feedback_file",
    "feedback_reply",
    "may_reply",
    "plan_close",
    "plan_cancel",
    "plan_submit",
    "task_claim",
    "task_decide",
    "task_release",
]
