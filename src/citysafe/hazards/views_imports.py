"""Excel import pages: upload (creates an ``ImportJob`` and queues it), progress polled by htmx, template download."""

import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citysafe.core.roles import can_write, is_municipal
from citysafe.core.uploads import validate_upload

from .errors import HazardError
from .importing import parse_mapping, template_workbook
from .models import ImportJob
from .tasks import run_import_job

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_SHOWN = 500


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=ImportJob.Kind.choices)
    file = forms.FileField(label=gettext_lazy("Excel 文件(.xlsx)"))
    mapping = forms.CharField(label=gettext_lazy("列对应(可选)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3, "placeholder": '{"Hazard": "隐患名称"}'}),
                              help_text=gettext_lazy("JSON: {\"文件中的表头\": \"字段名或默认表头\"},"
                                                     "用于默认表头之外的列"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 文件"))
        validate_upload(upload)  # size limit CITYSAFE_MAX_UPLOAD_MB
        return upload

    def clean(self):
        data = super().clean()
        if data.get("kind"):
            try:
                data["mapping"] = parse_mapping(data.get("mapping") or None, data["kind"])
            except HazardError as exc:
                self.add_error("mapping", str(exc))
        return data


def _require_writer(user):
    if not can_write(user):
        raise HttpForbidden


def _job_for(user, pk) -> ImportJob:
    jobs = ImportJob.objects.all() if is_municipal(user) else ImportJob.objects.filter(created_by=user)
    return get_object_or_404(jobs, pk=pk)


@login_required
def import_new(request):
    _require_writer(request.user)
    form = ImportForm(initial={"kind": request.GET.get("kind") or ImportJob.Kind.HAZARDS})
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            # Keep the mapping as the user wrote it (headers as in the file); it is checked again when the job runs.
            raw = request.POST.get("mapping", "").strip()
            job = ImportJob.objects.create(kind=form.cleaned_data["kind"], file=form.cleaned_data["file"],
                                           mapping=json.loads(raw) if raw else {}, created_by=request.user)
            run_import_job(job.pk)  # inline when CITYSAFE_HUEY_IMMEDIATE is set
            return redirect("hazards:import_detail", job.pk)
    recent = ImportJob.objects.filter(created_by=request.user)[:10]
    return render(request, "hazards/import_new.html", {"form": form, "recent": recent})


def _progress_context(job: ImportJob) -> dict:
    percent = round(100 * job.done / job.total) if job.total else 0
    finished = job.state in {ImportJob.State.DONE, ImportJob.State.FAILED}
    return {"job": job, "percent": 100 if job.state == ImportJob.State.DONE else percent, "finished": finished,
            "phase": _("校验中") if job.done * 2 < job.total or not job.total else _("保存中"),
            "errors": job.errors[:ERRORS_SHOWN], "more_errors": max(0, len(job.errors) - ERRORS_SHOWN)}


@login_required
def import_detail(request, pk):
    job = _job_for(request.user, pk)
    return render(request, "hazards/import_detail.html", _progress_context(job))


@login_required
def import_progress(request, pk):
    job = _job_for(request.user, pk)
    return render(request, "hazards/_import_progress.html", _progress_context(job))


@login_required
def import_template(request, kind):
    if kind not in ImportJob.Kind.values:
        raise Http404
    response = HttpResponse(template_workbook(kind), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{kind}-template.xlsx"
    return response
