"""The ``/api/v1`` root: one NinjaAPI, one router per app, OpenAPI at ``/api/v1/openapi.json`` (docs at ``/docs``).

Domain errors become 4xx answers with a ``detail`` message; nothing a client sends should produce a 500.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from citysafe.core.api import router as core_router
from citysafe.core.auth import API_AUTH
from citysafe.early_warning.api_manual import router as warnings_manual_router
from citysafe.early_warning.api_noise import router as warnings_noise_router
from citysafe.early_warning.api_response import router as warnings_response_router
from citysafe.evaluation.api import router as evaluation_router
from citysafe.hazards.api import router as hazards_router
from citysafe.incidents.api import router as incidents_router
from citysafe.monitoring.api import router as monitoring_router
from citysafe.plans.api import router as plans_router
from citysafe.records.api import router as records_router
from citysafe.resources.api import router as resources_router
from citysafe.workplans.api import router as workplans_router
from citysafe.workplans.errors import PermissionDenied, WorkplanError

api = NinjaAPI(title="citysafe API", version="1", urls_namespace="api", auth=API_AUTH,
               description="城市安全生产和防灾减灾救灾平台 API。认证: `Authorization: Bearer <token>` 或登录会话。")
api.add_router("/core", core_router)
api.add_router("/workplans", workplans_router)
api.add_router("/hazards", hazards_router)
api.add_router("/", monitoring_router)
api.add_router("/incidents", incidents_router)
api.add_router("/resources", resources_router)
api.add_router("/plans", plans_router)
api.add_router("/records", records_router)
api.add_router("/evaluation", evaluation_router)
api.add_router("/warnings", warnings_manual_router)
api.add_router("/warnings", warnings_response_router)
api.add_router("/warnings", warnings_noise_router)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(WorkplanError)
def domain_error(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.exception_handler(DjangoValidationError)
def validation_error(request, exc):
    return api.create_response(request, {"detail": "; ".join(exc.messages)}, status=400)


@api.exception_handler(ObjectDoesNotExist)
def not_found(request, exc):
    return api.create_response(request, {"detail": "未找到"}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(request, {"detail": "需要登录或 API 令牌"}, status=401)
