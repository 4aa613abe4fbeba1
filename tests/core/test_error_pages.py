"""Error pages are the platform's own (Chinese first), not Django's English defaults."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_404_page_is_chinese_and_does_not_reveal_scope(reference, admin_user, settings):
    settings.DEBUG = False
    client = Client()
    client.force_login(admin_user)
    response = client.get("/early-warning/999999/")
    assert response.status_code == 404
    assert "未找到" in response.content.decode() and "Not Found" not in response.content.decode()


def test_500_page_renders_without_context():
    from django.template.loader import get_template

    html = get_template("500.html").render({})
    assert "服务器内部错误" in html
