"""Path converters: ids in URLs normalised once, for every route.

The store writes ids as canonical lower-case UUIDs. A path id written another way
(upper case, braces, no hyphens) is converted to that form before any responder
sees it, so `user_id == caller.id` and every lookup compare like with like; a
path id that is no UUID matches no route (404), the same answer as an unknown id.
"""

from __future__ import annotations

import re
import uuid

from falcon.routing import BaseConverter


class IdConverter(BaseConverter):
    NAME = "id"

    def convert(self, value: str) -> str | None:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return None


_CONVERTED = re.compile(r"\{(\w+):\w+\}")


def plain_template(template: str) -> str:
    """A route template as clients see it: `{scan_id:id}` -> `{scan_id}`."""
    return _CONVERTED.sub(r"{\1}", template)
