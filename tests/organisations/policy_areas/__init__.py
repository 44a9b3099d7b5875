"""Per-area additions to the executable access policy (test_access_policy.py).

A module here may define:

- ``build(world)``: create the area's objects once per test module, storing them in
  ``world.extra[...]`` or ``world.orgs[key].extra[...]`` (key: "vendor", "other_vendor", "grades",
  "ars", "agency");
- ``KWARGS``: URL name -> (builder ``(world, role) -> kwargs``, scope: "own", "subject" or None);
- ``QUERY``: URL name -> ``(world, role) -> query string``;
- ``DATA``: URL name -> ``(world, role) -> POST data`` that an accepted request would carry.

A name defined twice fails the suite.
"""
