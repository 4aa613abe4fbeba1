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
