"""``id_url``: a list's links, the same text as ``{% url %}`` gives them."""

from __future__ import annotations

import pytest
from django.template import engines
from django.urls import NoReverseMatch, reverse

from apps.web.templatetags.greenlight import id_url


@pytest.mark.parametrize("name", ["plan-detail", "task-detail"])
def test_id_url_is_the_url_tags_text_for_every_id(name):
    for object_id in (1, 7, 42, 2_147_483_647, 10**12):
        assert id_url(name, object_id) == reverse(name, args=[object_id])
    both = engines["django"].from_string(
        "{% load greenlight %}{% url name pk %}|{% id_url name pk %}"
    )
    url, fast = both.render({"name": name, "pk": 1234}).split("|")
    assert url == fast


def test_id_url_refuses_a_url_without_an_id():
    with pytest.raises(NoReverseMatch):
        id_url("home", 5)
