"""CSV downloads, streamed: a response of any size holds one chunk of rows at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils import translation

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def csv_response(
    header: Iterable[object], chunks: Iterable[Iterable[Iterable[object]]], *, filename: str
) -> StreamingHttpResponse:
    """``chunks`` yields lists of rows; each chunk is written and sent before the next is read.
    The response is read after the view returns: the request's language goes with it."""
    language = translation.get_language()

    def body() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def flush() -> str:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text

        with translation.override(language):
            writer.writerow([cell(h) for h in header])
            yield flush()
            for rows in chunks:
                for row in rows:
                    writer.writerow([cell(v) for v in row])
                yield flush()

    response = StreamingHttpResponse(body(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
