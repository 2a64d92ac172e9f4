"""Website scanner (SPEC 3.2): cookies, trackers and consent; policy, imprint, transport."""
