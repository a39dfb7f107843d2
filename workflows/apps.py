from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    label = "workflows"
    verbose_name = "Approval workflows"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from . import moves
        from .models import ApprovalTask

        post_save.connect(moves.task_saved, sender=ApprovalTask, dispatch_uid="greenlight_moves")
