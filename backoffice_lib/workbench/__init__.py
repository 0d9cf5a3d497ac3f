"""The workbench on top of every domain: the notebook ``catalog`` and landing page, ``serve``
(Voilà), scheduled ``jobs`` and their ``runs`` (immutable run folders), and the ``overview``
dashboard. Nothing below imports it."""
