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


class Focus(models.TextChoices):
    CHANNELS = "channels", "Channels"
    PROMOTION = "promotion", "Promotion"


class CoreTask(models.TextChoices):
    NEW_PRODUCT_LAUNCH = "new_product_launch", "New product launch"
    BRAND_BUILDING = "brand_building", "Brand building"
    MARKET_SHARE = "market_share", "Market share"


class Position(models.TextChoices):
    """The positions the company sizes prescribe (DOMAIN.md "Organisation by company size")."""

    COMBINED_HEAD = "combined_head", "Head of the combined marketing and sales department"
    GENERAL_MANAGER = "general_manager", "General manager"
    SALES_DIRECTOR = "sales_director", "Sales director"
    MARKETING_DIRECTOR = "marketing_director", "Marketing director (head of the marketing centre)"


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
    # The company's strategy (DOMAIN.md "Who leads"); empty until its administrator sets it.
    focus = models.CharField(max_length=16, choices=Focus.choices, blank=True)
    core_task = models.CharField(max_length=32, choices=CoreTask.choices, blank=True)
    forecast_tolerance_pct = models.PositiveSmallIntegerField(
        default=10, help_text="How far (%) a sales target may exceed sales' own forecasts."
    )
    strategy_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    strategy_changed_at = models.DateTimeField(null=True, blank=True)
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
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sub_departments",
        help_text="Large companies: the marketing centre the regional sales departments belong to.",
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
    position = models.CharField(
        max_length=32,
        choices=Position.choices,
        blank=True,
        help_text="A position the company's size prescribes; its holder signs plans off.",
    )

    class Meta:
        ordering = ["company", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"

    @property
    def role_names(self) -> set[str]:
        return {grant.role for grant in self.roles.all()}


class StrategyChange(models.Model):
    """One change of a company's strategy: who, when, from what to what."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="strategy_changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField()
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        ordering = ["company", "-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.company} strategy at {self.changed_at:%Y-%m-%d}"


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
