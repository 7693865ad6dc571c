"""The one way a create or edit page saves: valid form → saved and redirected, or the form again.

A constraint the form could not see (a concurrent duplicate, a race between two admins) is a
form error, never a 500, and nothing is saved.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render

from audit import history
from audit.trail import ChangedMeanwhile

CONFLICT = "This conflicts with an existing record (perhaps saved a moment ago); nothing was saved."


def add_service_errors(form, error):
    """Show a service's ValidationError on the form: on its field when the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def show_changed_meanwhile(request, form, instance, error):
    """The form again, with what others saved since it was opened, and the editor's input.

    The form now counts as opened on the newest version: saving again means "I have seen it".
    """
    newer = history.record_history(model=type(instance), sponsor=request.sponsor, pk=instance.pk)[
        : len(error.versions)
    ]
    form.changed_meanwhile = newer
    form.add_error(
        None,
        "Someone saved this after you opened it (below). Your input is kept: check it against "
        "their change and save again to keep yours.",
    )
    form.data = form.data.copy()
    form.data["seen_version"] = error.versions[-1].history_id


def save_or_render(request, form, template, context, success_message, success_url, save=None):
    """Save a valid POSTed form and redirect, or render the page with the form's errors.

    `save(form)` replaces `form.save()` where saving is a service call; `success_message` is
    formatted with the saved object as `obj`; `success_url(obj)` is where to go next.
    """
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                obj = save(form) if save else form.save()
        except IntegrityError:
            form.add_error(None, CONFLICT)
        except ValidationError as error:
            add_service_errors(form, error)
        except ChangedMeanwhile as error:
            show_changed_meanwhile(request, form, form.instance, error)
        else:
            messages.success(request, success_message.format(obj=obj))
            return redirect(success_url(obj))
    return render(request, template, {"form": form, **context})
