from django.utils.translation import gettext_lazy as _

from hanse.errors import ErrorSpec

INVALID_REQUEST = ErrorSpec(1001, 400, _("The request is not valid. See data for each problem."))
MALFORMED_BODY = ErrorSpec(1002, 400, _("The request body is not valid JSON."))
BODY_NOT_OBJECT = ErrorSpec(1003, 400, _("The request body must be a JSON object."))
NOT_FOUND = ErrorSpec(1004, 404, _("The requested resource was not found."))
METHOD_NOT_ALLOWED = ErrorSpec(1005, 405, _("This method is not allowed on this resource."))
RATE_LIMITED = ErrorSpec(
    1029,
    429,
    _("Too many requests for your organisation: at most %(limit)s a minute. Retry in %(retry)s seconds."),
)
IDEMPOTENCY_IN_PROGRESS = ErrorSpec(
    1030, 409, _("A request with this MS-RequestId is still being processed. Retry later.")
)
IDEMPOTENCY_MISMATCH = ErrorSpec(
    1031, 422, _("This MS-RequestId was already used for a different request (%(method)s %(path)s).")
)
PRECONDITION_FAILED = ErrorSpec(1012, 412, _("The resource has changed since you read it (ETag mismatch)."))
UNAUTHENTICATED = ErrorSpec(1401, 401, _("Sign in first: this request carries no valid bearer token."))
FORBIDDEN = ErrorSpec(1403, 403, _("This request is not allowed."))
INTERNAL = ErrorSpec(1500, 500, _("An internal error occurred. It has been logged with your correlation id."))
BAD_REQUEST = ErrorSpec(1400, 400, _("The request is not valid."))
URI_TOO_LONG = ErrorSpec(1414, 414, _("The request's URL is too long: at most %(limit)s bytes."))
UNSUPPORTED_MEDIA = ErrorSpec(1415, 415, _("Send the request body as application/json."))
TOO_LARGE = ErrorSpec(1413, 413, _("The request body is too large: at most %(limit)s bytes."))
TOO_DEEP = ErrorSpec(
    1006, 400, _("The request body nests objects and lists too deeply: at most %(limit)s levels.")
)

BUSY = ErrorSpec(1503, 503, _("The service is busy. Retry in %(retry)s seconds."))

BY_STATUS = {
    400: BAD_REQUEST,
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    412: PRECONDITION_FAILED,
    413: TOO_LARGE,
    414: URI_TOO_LONG,
    415: UNSUPPORTED_MEDIA,
    429: RATE_LIMITED,
    500: INTERNAL,
    503: BUSY,
}
