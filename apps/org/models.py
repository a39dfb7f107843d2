"""Companies, their departments, and who belongs where with which roles."""

from django.conf import settings
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class Size(models.TextChoices):
    SMALL = "small", "Small"
    MEDIUM = "medium", "Medium"
    LARGE = "large", "Large"


class DepartmentKind(models.TextChoices):
    COMBINED = "combined", "Marketing and sales (combined)"
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"
    MANAGEMENT = "management", "Management"


class Role(models.TextChoices):
    PLANNER = "planner", "Planner (drafts plans)"
    REVIEWER = "reviewer", "Reviewer (reviews for their department)"
    SIGNER = "signer", "Signer (signs plans off)"
    AUDITOR = "auditor", "Auditor (reads everything, changes nothing)"
    ADMIN = "admin", "Company administrator"


class Company(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=64, unique=True)
    size = models.CharField(max_length=16, choices=Size.choices)
    review_days = models.PositiveSmallIntegerField(
        default=3, help_text="Working days a sales review may take."
    )
    signoff_days = models.PositiveSmallIntegerField(
        default=2, help_text="Working days a sign-off may take."
    )
    revision_days = models.PositiveSmallIntegerField(
        default=5, help_text="Working days the author has to answer a request for changes."
    )
    takeup_days = models.PositiveSmallIntegerField(
        default=3, help_text="Working days an executing department has to take a plan up."
    )
    feedback_days = models.PositiveSmallIntegerField(
        default=10, help_text="Working days between two market feedbacks of a department."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]
        default_permissions = ("add", "change", "delete", "view")
        permissions = [
            ("draft_plans", "Can draft plans in this company"),
            ("view_submitted_plans", "Can see the company's submitted plans"),
            ("sign_off_plans", "Can sign off the company's plans"),
            ("audit_plans", "Can audit the company's plans and history"),
            ("administer_company", "Can manage the company's members and deadlines"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(review_days__gte=1, signoff_days__gte=1, revision_days__gte=1),
                name="company_deadlines_at_least_one_day",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=DepartmentKind.choices)
    region = models.CharField(max_length=80, blank=True, help_text="Sales region, if any.")
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_departments",
    )

    class Meta:
        ordering = ["company", "kind", "name"]
        permissions = [("review_plans", "Can review plans for this department")]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="department_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's place in exactly one company; roles are granted through ``RoleGrant``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
    )
    title = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["company", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"

    @property
    def role_names(self) -> set[str]:
        return {grant.role for grant in self.roles.all()}


class RoleGrant(models.Model):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "role"], name="role_grant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} is {self.role}"


# django-guardian direct foreign-key permission tables: deleting the company,
# department or user deletes its permission rows with it (no orphans), and a
# lookup is a join on an integer key rather than a generic text column.
class CompanyUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Company, on_delete=models.CASCADE)


class CompanyGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Company, on_delete=models.CASCADE)


class DepartmentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Department, on_delete=models.CASCADE)


class DepartmentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Department, on_delete=models.CASCADE)
