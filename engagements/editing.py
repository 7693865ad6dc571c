"""The one way a create or edit page saves: valid form → saved and redirected, or the form again.

A constraint the form could not see (a concurrent duplicate, a race between two admins) is a
form error, never a 500, and nothing is saved.
"""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render

CONFLICT = "This conflicts with an existing record (perhaps saved a moment ago); nothing was saved."


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
        else:
            messages.success(request, success_message.format(obj=obj))
            return redirect(success_url(obj))
    return render(request, template, {"form": form, **context})
