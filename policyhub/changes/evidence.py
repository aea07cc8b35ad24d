"""Add the change list and change records to evidence packs."""

from django.db.models import Q

from ..exports.evidence import period_bounds, register_section
from .exports import changes_csv, signed_change_record_pdf
from .models import ChangeRequest

# Each record is a signed PDF rendered on demand; a pack of a busy year would
# otherwise render thousands, so larger periods list the rest in the CSV only.
MAX_RECORDS_PER_PACK = 500


def _changes_section(pack, writer, actor):
    start, end = period_bounds(pack)
    in_period = Q(planned_start__lt=end, planned_end__gte=start) | Q(
        created_at__gte=start, created_at__lt=end
    )
    changes = (
        ChangeRequest.objects.filter(in_period)
        .select_related("requester", "implementer")
        .prefetch_related("systems")
        .order_by("planned_start", "pk")
    )
    writer.add_bytes("changes/change-list.csv", changes_csv(changes).encode("utf-8"))
    for change in changes[:MAX_RECORDS_PER_PACK]:
        writer.add_bytes(
            f"changes/records/{change.reference}.pdf", signed_change_record_pdf(change)
        )


register_section("changes", "Change list and signed change records", _changes_section)
