"""A page's form read into the workflow's input model: the model the API validates its JSON with.

So a page and its API twin take the same values, with the same limits, and refuse a bad one with
the same message naming the same field (`supervisee_id must be a whole number`, never a 500). A
WTForms form, where a page keeps one, only draws the GOV.UK fields, checks the CSRF token and
reads its widgets (a date typed in three boxes); what the values may be is the model's to say.
"""
from __future__ import annotations

from typing import Any, TypeVar, get_origin

from flask import request
from flask_wtf import FlaskForm

from workflows.inputs import Input, Query

I = TypeVar("I", bound=Input)
Q = TypeVar("Q", bound=Query)


def form_to(model: type[I], form: FlaskForm | None = None, **given: Any) -> I:
    """The submitted form as `model`; a value it refuses is `InvalidInput` naming the field.

    `given` are the values the page knows without a box (an id from its URL). A field of the WTForms
    `form` is read through its widget; any other from the posted form as typed (a list from every
    value under its name). An empty box is a value left out, except text, where empty is what was
    typed, so the use case's own "give a reason" still speaks.
    """
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if name in given:
            data[key] = given[name]
            continue
        if form is not None and name in form._fields:
            value = form[name].data
        elif get_origin(field.annotation) is list:
            value = request.form.getlist(key)
        else:
            value = request.form.get(key)
        if value is None or (value == "" and field.annotation is not str):
            continue
        data[key] = value
    return model.validated(data)


def query_to(model: type[Q], **defaults: Any) -> Q:
    """The page's query string as `model` (a query's parameters, as the API reads them), with the
    page's `defaults` for those left out; a malformed one is `InvalidInput` naming it (a 422 page)."""
    return model.from_args(request.args, **defaults)
