"""The verifiable log's refusals (codes 97xx)."""

from django.utils.translation import gettext_lazy as _

from hanse.errors import ErrorSpec

NO_CHECKPOINT = ErrorSpec(
    9701, 404, _("The log has no signed checkpoint yet; the worker writes the first one.")
)
RECORD_NOT_FOUND = ErrorSpec(9702, 404, _("No such audit record."))
NOT_YET_CHECKPOINTED = ErrorSpec(
    9703,
    409,
    _(
        "Record #%(seq)s is newer than the latest checkpoint (%(size)s records); "
        "ask again after the next one."
    ),
)
BAD_SIZES = ErrorSpec(
    9704,
    404,
    _(
        "No consistency proof from %(first)s to %(second)s: a proof goes from a smaller tree to a "
        "signed checkpoint at least as large."
    ),
)
LOG_INCONSISTENT = ErrorSpec(
    9705,
    409,
    _(
        "The log in the database does not match checkpoint %(size)s (%(reason)s): "
        "history was changed. Nothing was signed."
    ),
)
UNKNOWN_WITNESS = ErrorSpec(9706, 403, _("This cosignature is not by a witness this instance knows."))
BAD_COSIGNATURE = ErrorSpec(
    9707, 400, _("The cosignature does not verify over checkpoint %(size)s: %(reason)s.")
)
CHECKPOINT_NOT_FOUND = ErrorSpec(9708, 404, _("The log has no checkpoint of %(size)s records."))
