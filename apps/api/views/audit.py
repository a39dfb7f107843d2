"""The company's audit trail for auditors and heads: a filtered list, and a streamed export."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from apps.audit.export import FORMATS, export_stream
from apps.plans.history import event_filter, event_list_for, history_company_access

from ..base import ApiMixin
from ..serializers import EventFilterSerializer, EventSerializer, ExportFilterSerializer
from .plans import filtered


def trail(request, filters: dict):
    """The events the user may read, filtered as the audit pages filter them.

    Auditors and heads only: anybody else gets the same 404 as on the audit pages.
    """
    history_company_access(user=request.user)
    return event_filter(event_list_for(user=request.user), **filters).order_by("id")


@extend_schema(tags=["audit"])
class AuditEventListView(ApiMixin, generics.ListAPIView):
    serializer_class = EventSerializer

    def get_queryset(self):
        return trail(self.request, filtered(EventFilterSerializer, self.request))

    @extend_schema(operation_id="audit_events_list", parameters=[EventFilterSerializer])
    def get(self, request, *args, **kwargs):
        """Every event of your company, oldest first (auditors and heads; a head does not see
        the events of other people's drafts)."""
        return super().get(request, *args, **kwargs)


class _StreamRenderer(BaseRenderer):
    """Names a media type for content negotiation; the view streams the body itself."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data, cls=DjangoJSONEncoder).encode()


class CSVRenderer(_StreamRenderer):
    media_type = "text/csv"
    format = "csv"


class JSONLinesRenderer(_StreamRenderer):
    media_type = "application/x-ndjson"
    format = "jsonl"


@extend_schema(tags=["audit"])
class AuditExportView(ApiMixin, APIView):
    """Streams the filtered trail through ``apps.audit.export``, in constant memory; each row
    carries its hash-chain link, so an export can be verified offline."""

    renderer_classes = [CSVRenderer, JSONLinesRenderer]

    def perform_content_negotiation(self, request, force=False):
        # ``format`` alone picks the body; ``get`` rejects an unknown one with a 400 (DRF's
        # own negotiation would answer it, or an unexpected Accept header, with 404 or 406).
        renderer = {"jsonl": JSONLinesRenderer}.get(request.query_params.get("format"), CSVRenderer)
        return renderer(), renderer.media_type

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:  # errors keep the API's JSON shape
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        operation_id="audit_export",
        parameters=[ExportFilterSerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="CSV, one event a row."
            ),
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR, description="JSON Lines, one event a line."
            ),
        },
    )
    def get(self, request):
        """The filtered trail as CSV or JSON Lines, oldest first (auditors and heads)."""
        filters = dict(filtered(ExportFilterSerializer, request))
        export_format = filters.pop("format")
        events = trail(request, filters)
        content_type, extension = FORMATS[export_format]
        response = StreamingHttpResponse(
            export_stream(events, export_format), content_type=content_type
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = (
            f'attachment; filename="greenlight-audit-{stamp}.{extension}"'
        )
        response["Cache-Control"] = "no-store"
        return response
