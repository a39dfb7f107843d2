"""viewflow's start, switch, split and join as a Greenlight service drives them.

Inside a service (``lock.in_service``) every error leaves the service's atomic block,
whose rollback is the clean-up, and viewflow propagates the error (its activation
context asks it to). There viewflow's bookkeeping around a gateway is redundant:

- the savepoint around a switch's choice and a join's completion (two round trips each)
  only serves to keep the task in an ERROR state when an error is swallowed, which a
  service never does;
- the start's savepoint and its lock on the process it has just inserted, which no
  other transaction can see before the service commits;
- a switch or split is saved twice: inserted when it is reached, updated when it is
  done a moment later in the same call; here it is inserted once, done;
- a join is inserted NEW, updated STARTED, then asked "may the flow go on?" three
  times per arrival (viewflow's condition check, the transition's, its completion's),
  two queries each, and updated DONE; here one query finds the join waiting and the
  branches still running, and a join its arrival completes is inserted once, done.

The activations put viewflow's class first among their bases: viewflow looks up the
transitions an overriding method keeps along the bases in order.

Outside a service (viewflow's own views, the deadline scan, a background job that
swallows errors into the task's ERROR state) every node behaves exactly as viewflow's.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.timezone import now
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.context import context
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.join import JoinActivation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.start import StartHandleActivation
from viewflow.workflow.nodes.switch import SwitchActivation
from viewflow.workflow.signals import flow_started, task_finished, task_started
from viewflow.workflow.status import STATUS

from .lock import in_service_now


def _lean() -> bool:
    """Errors propagate out of a service's atomic block: viewflow's guards add nothing."""
    return in_service_now() and context.propagate_exception


def _finish(activation: Activation) -> None:
    """What viewflow does to a task it completes: stamp it, save it, say so."""
    task = activation.task
    task.finished = now()
    task.save()
    task_finished.send(sender=activation.flow_class, process=activation.process, task=task)


class _InsertedLate(Activation):
    """A gateway task whose row waits until its outcome is known, then is written once.

    ``_before`` is the task that led to it: linked (``previous``) once the row exists.
    """

    _before: Any = None
    _late = False

    def _link(self) -> None:
        """Once its row exists: linked to the task that led to it."""
        if self._before is not None:
            self.task.previous.add(self._before)
            self._before = None

    def _insert(self) -> None:
        self.task.save()
        self._link()

    # viewflow keeps activations in sets, hashed by their task; a task inserted late has
    # no id at first, so its activation (the only one of that task) is itself throughout
    def __eq__(self, other: Any) -> bool:
        if self._late or getattr(other, "_late", False):
            return self is other
        return super().__eq__(other)

    def __hash__(self) -> int:
        return id(self) if self._late else super().__hash__()


class _SavedWhenDone(_InsertedLate):
    """A switch or split passed through in one call: inserted once, when it is done.

    A split's next tasks take their tokens from its id, which exists by then.
    """

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        if not _lean():
            return super().create(flow_task, prev_activation, token, data=data, seed=seed)
        task = flow_task.flow_class.task_class(
            process=prev_activation.process, flow_task=flow_task, token=token
        )
        task.data = data if data is not None else {}
        task.seed = seed
        activation = cls(task)
        activation._before, activation._late = prev_activation.task, True
        return activation

    @Activation.status.super()
    def complete(self):
        _finish(self)
        self._link()


class LeanStartActivation(StartHandleActivation):
    @Activation.status.super()
    def execute(self):
        if not _lean():
            return super().execute.original()
        # the process is new: nobody else sees it, or waits for it, before the commit
        task_started.send(sender=self.flow_class, process=self.process, task=self.task)
        self.process.save()
        self.complete()
        flow_started.send(sender=self.flow_class, process=self.process, task=self.task)
        self.activate_next()
        return None


class LeanSwitchActivation(SwitchActivation, _SavedWhenDone):
    @Activation.status.super()
    def activate(self):
        if not _lean():
            return super().activate.original()
        for node, condition in self.flow_task._branches:
            if condition is None or condition(self):
                self.next_task = node
                return None
        raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class LeanSplitActivation(SplitActivation, _SavedWhenDone):
    pass


_WAITING = (STATUS.NEW, STATUS.STARTED)  # a join that waits for more arrivals
_PASSED = (STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED)  # a branch that no longer runs


class LeanJoinActivation(JoinActivation, _InsertedLate):
    """A join reached from a human task (one arrival per action, as in this flow).

    One statement finds the join already waiting, if any, and the branches still
    running; a join that the arrival completes at once is inserted done, one that
    must wait is inserted started. An arrival at a waiting join still checks, as
    viewflow does, that every arrival came from the same split.
    """

    _arrivals: tuple[set[str], list[Any] | None] | None = None

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        arriving = prev_activation.task
        if not (_lean() and isinstance(arriving.flow_task, flow.View)):
            return super().create(flow_task, prev_activation, token, data=data, seed=seed)
        process = prev_activation.process
        base = token.get_base_split_token() if token.is_split_token() else token
        prefix = arriving.token.get_common_split_prefix(base, arriving.pk)
        found = flow_task.flow_class.task_class._default_manager.filter(process=process).filter(
            Q(flow_task=flow_task, status__in=_WAITING)
            | (Q(token__startswith=prefix) & ~Q(status__in=_PASSED))
        )
        waiting = [t for t in found if t.flow_task == flow_task and t.status in _WAITING]
        running = [t for t in found if t not in waiting]
        if len(waiting) > 1:
            raise FlowRuntimeError("More than one join instance for process found")
        if waiting:
            waiting[0].previous.add(arriving)
            activation = cls(waiting[0])
            prefixes = activation._join_token_prefixes()
            if prefixes != {prefix}:  # not one split's arrivals: viewflow's questions decide
                return activation
            activation._arrivals = (prefixes, running)
            return activation
        task = flow_task.flow_class.task_class(
            process=process, flow_task=flow_task, token=base, status=STATUS.STARTED, started=now()
        )
        task.data = data if data is not None else {}
        task.seed = seed
        activation = cls(task)
        activation._before, activation._late = arriving, True
        activation._arrivals = ({prefix}, running)
        return activation

    @Activation.status.super()
    def activate(self):
        if self._before is None:
            return super().activate.original()
        if not self.is_done():  # it waits for the other branches: its row is written now
            self._insert()
        return None

    def _read_arrivals(self) -> tuple[set[str], list[Any] | None]:
        """The arrivals' token prefixes and the tasks still running on them, read once.

        Nothing is written between viewflow's questions to the join within one
        activation, so their answers cannot change.
        """
        if self._arrivals is None:
            prefixes = self._join_token_prefixes()
            running = None
            if len(prefixes) == 1:
                running = list(self._active_join_tasks(next(iter(prefixes))))
            self._arrivals = (prefixes, running)
        return self._arrivals

    def is_done(self):
        if not _lean():
            return super().is_done()
        prefixes, running = self._read_arrivals()
        if len(prefixes) != 1:
            return len(prefixes) > 1
        go_on = self.flow_task._continue_on_condition
        if go_on and go_on(self, running):
            return True
        return not running

    @Activation.status.super()
    def complete(self):
        if not _lean():
            return super().complete.original()
        prefixes, running = self._read_arrivals()
        self._arrivals = None
        if len(prefixes) > 1:
            raise FlowRuntimeError(f"Multiple tokens {prefixes} came to join {self.flow_task.name}")
        go_on = self.flow_task._continue_on_condition
        if running and go_on and go_on(self, running):
            self.cancel_active_tasks(running)
        _finish(self)
        self._link()  # completed by its first arrival: inserted done
        return None


class StartHandle(flow.StartHandle):
    activation_class = LeanStartActivation


class Switch(flow.Switch):
    activation_class = LeanSwitchActivation


class Split(flow.Split):
    activation_class = LeanSplitActivation


class Join(flow.Join):
    activation_class = LeanJoinActivation
