"""Companies in the Django admin: a new one is set up as its size prescribes.

Adding a company creates the departments and positions of its size and names its
administrator (``apps.org.setup.company_setup``); changing its size goes through
``company_update``, which refuses while a position the new size needs is vacant.
Members, roles and deadlines are managed on the company's own pages.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password

from apps.core.errors import DomainError

from .models import Company
from .policy import vacancies
from .services import company_update
from .setup import company_setup


class CompanyAddForm(forms.ModelForm):
    admin_username = forms.CharField(
        max_length=150, help_text="The company's administrator: an existing person or a new one."
    )
    admin_email = forms.EmailField(required=False)
    admin_password = forms.CharField(
        widget=forms.PasswordInput, required=False, help_text="For a new person only."
    )

    class Meta:
        model = Company
        fields = ["name", "slug", "size"]

    def clean(self):
        data = super().clean()
        username = (data.get("admin_username") or "").strip()
        person = get_user_model().objects.filter(username__iexact=username).first()
        if person is not None and person.is_superuser:
            self.add_error("admin_username", "Superusers are kept out of approval roles.")
        if person is not None and hasattr(person, "membership"):
            self.add_error("admin_username", "That person belongs to a company already.")
        if person is None and data.get("admin_password"):
            try:
                validate_password(data["admin_password"])
            except forms.ValidationError as exc:
                self.add_error("admin_password", exc)
        return data


class CompanyChangeForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = ["name", "size"]

    def clean_size(self):
        size = self.cleaned_data["size"]
        if self.instance.pk and size != self.instance.size:
            missing = vacancies(self.instance, size)
            if missing:
                raise forms.ValidationError(f"Set up first: {', '.join(missing)}.")
        return size


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "size", "focus", "core_task")
    search_fields = ("name", "slug")

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = CompanyChangeForm if obj is not None else CompanyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "slug", "size", "admin_username", "admin_email", "admin_password"]
        return ["name", "size"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                size = data["size"]
                obj.size = Company.objects.get(pk=obj.pk).size  # the service changes it
                obj.save(update_fields=["name"])
                company_update(actor=None, company=obj, size=size)
                obj.refresh_from_db()
                return
            company, vacant = company_setup(
                name=data["name"],
                slug=data["slug"],
                size=data["size"],
                admin_username=data["admin_username"],
                admin_email=data.get("admin_email") or "",
                admin_password=data.get("admin_password") or None,
            )
        except DomainError as error:
            messages.error(request, error.message)
            raise
        obj.pk = company.pk
        obj.refresh_from_db()
        if vacant:
            messages.warning(request, f"Still to fill: {', '.join(vacant)}.")

    def has_delete_permission(self, request, obj=None):
        return False  # a company's history is kept; plans protect it anyway
