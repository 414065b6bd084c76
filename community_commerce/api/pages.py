"""One page of a list: ``{"items", "count"}`` with the count known without a COUNT query
when the page is the last one."""


def page_of(queryset, page: int, per_page: int):
    """One page of a queryset (pages from 1, both bounded by the parameter types) and the total count."""
    start = (page - 1) * per_page
    items = list(queryset[start : start + per_page])
    if len(items) < per_page and (items or start == 0):  # the last page: the count is known without a query
        return items, start + len(items)
    return items, queryset.count()
