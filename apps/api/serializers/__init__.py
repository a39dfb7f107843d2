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
    CloseSerializer,
    CommentSerializer,
    DiffQuerySerializer,
    DiffSerializer,
    FeedbackFilterSerializer,
    FeedbackSerializer,
    FeedbackWriteSerializer,
    PlanDetailSerializer,
    PlanFilterSerializer,
    PlanSerializer,
    PlanWriteSerializer,
    ReplySerializer,
    ReplyWriteSerializer,
    RevisionSerializer,
)
from .tasks import DecideSerializer, DecisionResultSerializer, TaskFilterSerializer, TaskSerializer

__all__ = [
    "CloseSerializer",
    "FeedbackFilterSerializer",
    "FeedbackSerializer",
    "FeedbackWriteSerializer",
    "ReplySerializer",
    "ReplyWriteSerializer",
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
