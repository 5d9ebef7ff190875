"""Use cases whose writes reach across domains, one module each. Their routes live in the domain routers
(router → flow → services, as Dispatch's views call its flows): only a domain's router imports a flow, and
a service, repository, model or schema never does (an import-linter contract).

A domain's service writes only its own records; when a write in one domain changes another (deleting a
project unlinks the national processes it helped build), the flow here says so in one place."""
