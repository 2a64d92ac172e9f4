"""The app's request class: chunked bodies are read, not taken as empty.

Falcon's `bounded_stream` takes a body without Content-Length (Transfer-Encoding:
chunked) as empty. Where the WSGI server marks its input terminated (gunicorn
does: it decodes chunks and signals the end itself), the body is read to that
end instead. The app's own limits (JSON size, upload size) still bound what is
read, as they do for bodies with a Content-Length.
"""

from __future__ import annotations

import falcon
from falcon.stream import BoundedStream

UNBOUNDED = 2**63 - 1  # the end comes from the server; the readers set their limits


class Request(falcon.Request):
    @property
    def bounded_stream(self) -> BoundedStream:
        if self._bounded_stream is None:
            terminated = bool(self.env.get("wsgi.input_terminated"))
            if self.content_length is None and terminated:
                self._bounded_stream = BoundedStream(self.stream, UNBOUNDED)
            else:
                self._bounded_stream = self._get_wrapped_wsgi_input()
        return self._bounded_stream
