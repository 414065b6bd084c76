"""Reports as CSV files a spreadsheet opens right in any language: UTF-8 with a byte-order
mark (Excel reads the file as UTF-8 then, so Chinese headers survive), amounts as plain
numbers with a "." (a currency column beside them, never a symbol in the cell), dates
ISO 8601, and text that a spreadsheet would take for a formula made harmless."""

import csv
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value  # a text cell, not a formula (CSV injection)
    return value


def csv_response(filename, header, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([str(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return response
