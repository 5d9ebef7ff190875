"""The staff pages: server-rendered HTML for the people who keep the records, on the same services as the
API, and the web foundation the dashboards share with them (one login cookie, one layout, CSRF tokens,
the English and French catalogues, HTML error pages)."""
