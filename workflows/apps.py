from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    label = "workflows"
    verbose_name = "Approval workflows"

    def ready(self) -> None:
        from django.db.models.signals import post_save
        from viewflow.workflow.models import Task

        from . import moves
        from .models import ApprovalTask

        post_save.connect(moves.task_saved, sender=ApprovalTask, dispatch_uid="greenlight_moves")
        # viewflow reads some tasks through the concrete model (a process's ``task_set``, as
        # its cancel does); ``moves.task_saved`` keeps those of the approval flow
        post_save.connect(moves.task_saved, sender=Task, dispatch_uid="greenlight_moves_task")
