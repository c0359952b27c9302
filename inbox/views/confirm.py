"""A second step for irreversible actions, with and without JavaScript.

With htmx the form that issues the request carries ``hx-confirm`` (the browser asks) and
``hx-vals='{"confirmed": "1"}'``, so a confirmed request arrives with ``confirmed=1``. A plain
POST (no JavaScript) arrives without it and gets an intermediate page that repeats the posted
fields as hidden inputs plus ``confirmed=1``: nothing irreversible happens on the first POST.
"""

from django.shortcuts import render

CONFIRMED = "confirmed"


def is_confirmed(request) -> bool:
    return request.POST.get(CONFIRMED) == "1"


def confirmation_page(request, *, question: str, detail: str = "", yes: str, back_url: str):
    """The intermediate page: ``question``, what happens, a ``yes`` button that re-posts the same
    fields with ``confirmed=1``, and a way back."""
    hidden = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", CONFIRMED)
        for value in values
    ]
    response = render(
        request,
        "inbox/confirm.html",
        {
            "question": question,
            "detail": detail,
            "yes": yes,
            "hidden": hidden,
            "action_url": request.get_full_path(),
            "back_url": back_url,
        },
    )
    if getattr(request, "htmx", False):  # a form without hx-vals: show the page whole
        response["HX-Retarget"] = "body"
        response["HX-Reswap"] = "innerHTML"
    return response
