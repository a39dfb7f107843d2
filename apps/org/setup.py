"""A new company set up as its size prescribes: departments, positions and an administrator.

``manage.py company_create`` and the Django admin call ``company_setup``; the positions
the size prescribes and nobody holds yet are reported, so the administrator fills them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from apps.core.errors import ValidationError

from .models import Company, DepartmentKind, Position, Role, Size
from .policy import ADMIN_POSITION, POSITION_DEPARTMENT, SIZE_DEPARTMENTS, vacancies
from .services import company_create, department_create, member_save

User = get_user_model()


def _administrator(username: str, email: str, password: str | None) -> Any:
    username = (username or "").strip()
    if not username:
        raise ValidationError(
            "Name the company's administrator.", fields={"admin_username": ["Required."]}
        )
    user = User.objects.filter(username__iexact=username).first()
    if user is not None:
        if user.is_superuser:
            raise ValidationError(
                "Superusers are kept out of approval roles.",
                fields={"admin_username": ["Choose a person, not a superuser."]},
            )
        return user
    user = User(username=username, email=email or "")
    if password:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationError(
                "Please choose another password.", fields={"admin_password": list(exc.messages)}
            ) from None
        user.set_password(password)
    else:
        user.set_unusable_password()  # set it with manage.py changepassword
    user.save()
    return user


@transaction.atomic
def company_setup(
    *,
    name: str,
    slug: str,
    size: str,
    admin_username: str,
    admin_email: str = "",
    admin_password: str | None = None,
    actor: Any = None,
) -> tuple[Company, list[str]]:
    """Create the company with the departments of its size and its administrator in the
    position that administers and signs (the combined department's head, the general
    manager, the marketing director). Returns the company and what is still vacant."""
    if size not in Size.values:
        raise ValidationError("Unknown company size.", fields={"size": ["Unknown size."]})
    if Company.objects.filter(slug=slug).exists() or Company.objects.filter(name=name).exists():
        raise ValidationError("A company of that name exists.", fields={"slug": ["Taken."]})
    company = company_create(name=name, slug=slug, size=size, actor=actor)
    departments = {
        dept: department_create(actor=None, company=company, name=dept, kind=kind, region=region)
        for dept, kind, region in SIZE_DEPARTMENTS[size]
    }
    if size == Size.LARGE:
        centre = departments["Marketing Centre"]
        for department in departments.values():
            if department.kind == DepartmentKind.SALES:
                department.parent = centre
                department.save(update_fields=["parent"])
    position = ADMIN_POSITION[size]
    department = departments[POSITION_DEPARTMENT[position]]
    administrator = _administrator(admin_username, admin_email, admin_password)
    member_save(
        actor=None,
        company=company,
        user=administrator,
        department=department,
        roles={Role.ADMIN},
        title=Position(position).label,
        position=position,
    )
    department.head = administrator
    department.save(update_fields=["head"])
    return company, vacancies(company, size)
