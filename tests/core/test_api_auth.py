from citysafe.core.models import ApiToken


def test_api_requires_authentication(client, reference):
    response = client.get("/api/v1/core/me")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_bearer_token_authenticates_and_revocation_stops_it(api_client, yuzhong, token_for):
    raw = token_for(yuzhong)
    response = api_client(raw).get("/core/me")
    assert response.status_code == 200
    assert response.json() == {"username": "yuzhong", "roles": ["district_operator"], "organization": "渝中区政府",
                               "region": "渝中区"}
    token = ApiToken.objects.get(user=yuzhong)
    assert token.last_used_at is not None and raw not in token.key_hash  # only the hash is stored
    token.revoked = True
    token.save()
    assert api_client(raw).get("/core/me").status_code == 401
    assert api_client("cs_wrong").get("/core/me").status_code == 401


def test_openapi_schema_lists_the_paths(client, reference):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/workplans/targets" in schema["paths"]
    assert "/api/v1/core/regions" in schema["paths"]


def test_regions_are_scoped(api_client, yuzhong, admin_user, token_for):
    mine = api_client(token_for(yuzhong)).get("/core/regions").json()
    assert [r["adcode"] for r in mine] == ["500103"]
    assert api_client(token_for(yuzhong)).get("/core/regions/500101").status_code == 404
    everything = api_client(token_for(admin_user)).get("/core/regions").json()
    assert len(everything) >= 39
    geo = api_client(token_for(yuzhong)).get("/core/regions.geojson").json()
    assert [f["properties"]["adcode"] for f in geo["features"]] == ["500103"]


def test_token_page_issues_a_working_token_and_revokes_it(client, api_client, yuzhong):
    client.force_login(yuzhong)
    page = client.post("/tokens/", {"name": "区县对接"}).content.decode()
    import re

    secret = re.search(r"<code>(cs_[^<]+)</code>", page).group(1)
    token = ApiToken.objects.get(user=yuzhong)
    client.post(f"/tokens/{token.pk}/revoke/")
    client.logout()  # the API calls below rely on the token alone
    assert api_client(secret).get("/core/me").status_code == 401
    fresh, _raw = ApiToken.objects.issue(yuzhong, "again")
    assert api_client(_raw).get("/core/me").status_code == 200


def test_token_of_another_user_cannot_be_revoked(client, yuzhong, wanzhou):
    token, _raw = ApiToken.objects.issue(wanzhou, "x")
    client.force_login(yuzhong)
    assert client.post(f"/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert not token.revoked
