import datetime as dt

from citysafe.core.models import Organization, OrganizationKind, Region
from citysafe.core.services import district_regions, find_organization, resolve_organization, setup_reference_data


def test_regions_loaded_with_boundaries_and_validity(reference):
    assert Region.objects.get(adcode="500000").level == "province"
    yuzhong = Region.objects.get(adcode="500103")
    assert yuzhong.parent.adcode == "500000" and yuzhong.path == "500000/500103/"
    assert yuzhong.boundary["type"] in {"Polygon", "MultiPolygon"}
    assert 106.4 < yuzhong.center_lon < 106.7 and 29.4 < yuzhong.center_lat < 29.7
    jiangbei = Region.objects.get(adcode="500105")
    assert jiangbei.valid_to == dt.date(2025, 11, 7)
    assert jiangbei.is_valid_on(dt.date(2025, 11, 6)) and not jiangbei.is_valid_on(dt.date(2025, 11, 7))
    assert Region.objects.get(adcode="500157").valid_from == dt.date(2025, 11, 7)


def test_district_list_follows_the_2025_code_change(reference):
    before = {r.adcode for r in district_regions(dt.date(2025, 1, 1))}
    after = {r.adcode for r in district_regions(dt.date(2026, 1, 1))}
    assert {"500105", "500112"} <= before and not {"500105", "500112"} & after
    assert "500157" in after and "500157" not in before
    # the functional zones count as 区县 for work purposes
    assert {"Z-GXQ", "Z-WSJK"} <= after


def test_aliases_match_both_names(reference):
    assert find_organization("市应急局") == find_organization("市应急管理局")
    assert find_organization("渝中区人民政府").name == "渝中区政府"
    assert find_organization("西部科学城重庆高新区管委会").name == "重庆高新区管委会"
    assert find_organization(" 市应急管理局 ").name == "市应急管理局"  # spaces / full-width normalised


def test_groups_expand_to_current_district_governments(reference):
    group = Organization.objects.get(name="各区县政府")
    assert group.kind == OrganizationKind.GROUP
    members = set(group.members.values_list("name", flat=True))
    assert "渝中区政府" in members and "两江新区管委会" in members and "江北区政府" not in members


def test_setup_is_idempotent(reference):
    counts = Organization.objects.count(), Region.objects.count()
    setup_reference_data()
    assert (Organization.objects.count(), Region.objects.count()) == counts


def test_unknown_organization_is_created_and_flagged(reference):
    org, created = resolve_organization("渝中区新设安全办")
    assert created and org.created_by_import and org.region.adcode == "500103"
    again, created_again = resolve_organization("渝中区新设安全办")
    assert again == org and not created_again
