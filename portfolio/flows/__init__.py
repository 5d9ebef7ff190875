"""Use cases whose writes reach across domains, one module each, with their routes in
:mod:`portfolio.flows.router`.

A domain's service writes only its own records; when a write in one domain changes another (deleting a
project unlinks the national processes it helped build), the flow here says so in one place. The flows
sit above the domains: no domain imports them."""
