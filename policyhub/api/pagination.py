from rest_framework.pagination import Cursor, CursorPagination


class IdCursorPagination(CursorPagination):
    """Pages ordered by id: a reader never skips or repeats a row.

    Rows appended between two page reads appear on later pages, because each
    cursor only remembers the last id it returned.
    """

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class FollowingCursorPagination(IdCursorPagination):
    """Id-ordered pages whose last page still links to what comes after it.

    A collector keeps polling the last ``next`` URL and receives the rows
    appended since, with an empty page while there are none. Audit events get
    their ids while the audit chain's lock is held (an advisory lock on
    PostgreSQL, the single writer on SQLite), so ids commit in order and a
    row never appears behind a cursor that has already passed it.
    """

    def get_next_link(self):
        if self.has_next:
            return super().get_next_link()
        if self.page:
            position = self._get_position_from_instance(self.page[-1], self.ordering)
            cursor = Cursor(offset=0, reverse=False, position=position)
        elif self.cursor is not None:
            cursor = self.cursor
        else:
            cursor = Cursor(offset=0, reverse=False, position=None)
        return self.encode_cursor(cursor)
