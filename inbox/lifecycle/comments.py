"""Comments on a task: anyone who sees it may add; only authors edit or delete."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from inbox.errors import (
    Forbidden,
    NotFound,
    ValidationError,
)
from inbox.lifecycle.core import (
    COMMENT_MAX_LENGTH,
    Kind,
    append_event,
    lock_task,
    save_change,
)
from inbox.models import (
    Comment,
    UserTask,
)
from inbox.parsing import is_ascii_int


def _clean_comment(text: Any) -> str:
    text = str(text or "").strip()
    if not text:
        raise ValidationError("A comment cannot be empty.", fields={"text": ["Write something."]})
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            "The comment is too long.",
            fields={"text": [f"At most {COMMENT_MAX_LENGTH} characters."]},
        )
    return text


def _lock_comment(task: UserTask, comment_id: Any, user: User) -> Comment:
    try:
        if not is_ascii_int(comment_id):
            raise ValueError
        comment = Comment.objects.select_for_update().get(
            pk=int(comment_id), task=task, deleted=False
        )
    except (Comment.DoesNotExist, TypeError, ValueError):
        raise NotFound("No such comment") from None
    if comment.author_id != user.pk:
        raise Forbidden("Only the author may change this comment.")
    return comment


@transaction.atomic
def comment_add(*, task_id, user: User, text: str) -> Comment:
    """Anyone who can see a task may comment on it, in any state."""
    task = lock_task(task_id, user)
    text = _clean_comment(text)
    comment = Comment.objects.create(task=task, author=user, text=text)
    save_change(task)
    append_event(task, Kind.COMMENT_ADDED, actor=user, comment_id=comment.pk, text=text)
    return comment


@transaction.atomic
def comment_edit(*, task_id, comment_id, user: User, text: str) -> Comment:
    """Only the author edits a comment; the event keeps the new text."""
    task = lock_task(task_id, user)
    comment = _lock_comment(task, comment_id, user)
    comment.text = _clean_comment(text)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["text", "edited_at"])
    save_change(task)
    append_event(task, Kind.COMMENT_EDITED, actor=user, comment_id=comment.pk, text=comment.text)
    return comment


@transaction.atomic
def comment_delete(*, task_id, comment_id, user: User) -> None:
    """Only the author deletes a comment; it is flagged deleted, its history stays."""
    task = lock_task(task_id, user)
    comment = _lock_comment(task, comment_id, user)
    comment.deleted = True
    comment.save(update_fields=["deleted"])
    save_change(task)
    append_event(task, Kind.COMMENT_DELETED, actor=user, comment_id=comment.pk)
