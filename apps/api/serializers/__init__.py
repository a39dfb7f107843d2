"""Thin serializers: types in and out. The rules live in the services, which check again."""

from .people import (
    EventFilterSerializer,
    EventSerializer,
    ExportFilterSerializer,
    MeSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from .plans import (
    CommentSerializer,
    DiffQuerySerializer,
    DiffSerializer,
    PlanDetailSerializer,
    PlanFilterSerializer,
    PlanSerializer,
    PlanWriteSerializer,
    RevisionSerializer,
)
from .tasks import DecideSerializer, DecisionResultSerializer, TaskFilterSerializer, TaskSerializer

__all__ = [
    "CommentSerializer",
    "DecideSerializer",
    "DecisionResultSerializer",
    "DiffQuerySerializer",
    "DiffSerializer",
    "EventFilterSerializer",
    "EventSerializer",
    "ExportFilterSerializer",
    "MeSerializer",
    "PlanDetailSerializer",
    "PlanFilterSerializer",
    "PlanSerializer",
    "PlanWriteSerializer",
    "RevisionSerializer",
    "TaskFilterSerializer",
    "TaskSerializer",
    "TokenRequestSerializer",
    "TokenSerializer",
]
