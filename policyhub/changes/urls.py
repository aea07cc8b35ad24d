from django.urls import path

from .views import board, calendar, changes, exports

app_name = "changes"

urlpatterns = [
    path("", changes.change_list, name="list"),
    path("new/", changes.change_create, name="create"),
    path("<int:pk>/", changes.change_detail, name="detail"),
    path("<int:pk>/edit/", changes.change_edit, name="edit"),
    path("<int:pk>/vote/", changes.change_vote, name="vote"),
    path("<int:pk>/attach/", changes.change_attach, name="attach"),
    path("<int:pk>/implementer/", changes.change_assign, name="assign"),
    path(
        "<int:pk>/attachments/<int:attachment_id>/",
        changes.attachment_download,
        name="attachment",
    ),
    path("<int:pk>/record.pdf", exports.change_pdf, name="pdf"),
    path("<int:pk>/<slug:action>/", changes.change_transition, name="transition"),
    path("export.csv", exports.export_csv, name="export_csv"),
    path("export.xlsx", exports.export_xlsx, name="export_xlsx"),
    path("meeting/", board.meeting, name="meeting"),
    path("meeting/agenda.pdf", board.meeting_agenda_pdf, name="agenda_pdf"),
    path("calendar/", calendar.month_view, name="calendar"),
    path("calendar/list/", calendar.list_view, name="calendar_list"),
]
