"""``manage.py verify_audit``: is the audit trail intact, and if not, what was done to it?"""

from django.core.management.base import BaseCommand, CommandError

from apps.audit.verify import chain_verify
from apps.org.models import Company
from apps.plans.history import RevisionFingerprints
from apps.plans.integrity import decisions_verify


class Command(BaseCommand):
    help = (
        "Check every company's hash chain, every decision against its event and every "
        "decision's revision fingerprint. "
        "Prints the chain heads when the trail is intact, or each event that was changed, "
        "removed or reordered; exits with status 1 on tampering."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", metavar="SLUG", help="Check one company only.")
        parser.add_argument("--chunk-size", type=int, default=2000, help="Events read per query.")

    def handle(self, *args, company=None, chunk_size=2000, **options):
        companies = {c.pk: c for c in Company.objects.all()}
        company_ids = None
        if company:
            chosen = next((c for c in companies.values() if c.slug == company), None)
            if chosen is None:
                raise CommandError(f"No company with slug {company!r}.")
            company_ids = [chosen.pk]
        report = chain_verify(
            company_ids=company_ids,
            fingerprint_check=RevisionFingerprints(),
            chunk_size=chunk_size,
        )
        report.problems.extend(decisions_verify(company_ids=company_ids))
        if not report.intact:
            names = {pk: c.slug for pk, c in companies.items()}
            for problem in report.problems:
                self.stdout.write(problem.describe(names))
            raise CommandError(
                f"Audit trail NOT intact: {len(report.problems)} problem(s) "
                f"in {report.checked} events checked.",
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail intact: {report.checked} events checked "
                f"in {len(report.chains)} chain(s)."
            )
        )
        for chain in report.chains:
            found = companies.get(chain.company_id)
            name = f"{found.name} ({found.slug})" if found else f"company {chain.company_id}"
            self.stdout.write(
                f"  {name}: {chain.events} events, head seq {chain.head_seq}, "
                f"hash {chain.head_hash}"
            )
