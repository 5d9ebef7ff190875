"""The API docs page works on a closed network: nothing is loaded from another host."""

import re


def test_docs_page_and_its_assets_are_served_by_the_app(anon):
    page = anon.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert sources, "the page loads no assets at all?"
    for source in sources:
        assert source.startswith("/"), f"{source} is loaded from another host"
        assert anon.get(source).status_code == 200, source
    assert "/openapi.json" in page.text
    assert "/docs/oauth2-redirect" in page.text  # the Authorize button's password flow
