"""Capped counts: cheap at a million tasks because no count reads more than COUNT_CAP rows."""

from django.db.models.expressions import RawSQL

COUNT_CAP = 100


def capped_task_count(owner_column: str, outer_pk: str, *statuses: str) -> RawSQL:
    """An annotation counting a group's, user's or case's tasks in ``statuses``, stopping at
    COUNT_CAP.

    Each count walks one owner's index range and never more than COUNT_CAP rows, and runs only
    for the rows a page shows, so a list costs the same at a million tasks; show "100+" at the
    cap.
    """
    if owner_column not in ("group_id", "assignee_id", "case_id"):
        raise ValueError(owner_column)
    placeholders = ", ".join(["%s"] * len(statuses))
    return RawSQL(
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM inbox_usertask t WHERE t.{owner_column} = "
        f"{outer_pk} AND t.status IN ({placeholders}) LIMIT %s) capped)",
        (*statuses, COUNT_CAP),
    )
