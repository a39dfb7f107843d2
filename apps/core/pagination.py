"""A paginator that counts no further than it must, shared by the API and the web pages."""

from __future__ import annotations

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """Counts at most ``CAP`` rows: a list of a hundred thousand plans or a million events is
    not counted in full for every page (the count query would cost more than the page).

    Past the cap, ``count`` says ``CAP`` and the pages go on: a page knows there is a next
    one by reading one row more than it shows.
    """

    CAP = 1000
    capped = False

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if hasattr(rows, "capped_count"):
            # a list that counts itself to the cap (``selectors.TaskList``)
            total = rows.capped_count(self.CAP)
        else:
            # in the list's order: the database walks the list's index and stops past the cap
            total = rows[: self.CAP + 1].count() if hasattr(rows, "count") else len(rows)
        self.capped = total > self.CAP
        return min(total, self.CAP)

    def validate_number(self, number):
        if not (self.count and self.capped):
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not self.capped:
            if not hasattr(self.object_list, "rows"):
                return super().page(number)
            top = bottom + self.per_page
            if top + self.orphans >= self.count:
                top = self.count
            rows = self.object_list.rows(bottom, top, few=True, cap=self.CAP)
            return self._get_page(rows, number, self)
        rows = self._rows(bottom, bottom + self.per_page + 1)
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        page = CappedPage(rows[: self.per_page], number, self)
        page.more = len(rows) > self.per_page
        return page

    def _rows(self, bottom: int, top: int) -> list:
        if hasattr(self.object_list, "rows"):  # a list that reads its own rows
            return self.object_list.rows(bottom, top)
        return list(self.object_list[bottom:top])


class CappedPage(Page):
    more = False

    def has_next(self) -> bool:
        return self.more
