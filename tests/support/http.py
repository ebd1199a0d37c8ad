"""The server's side of a request, for tests that call the application as a WSGI server would."""

from __future__ import annotations

import io


class CountingInput(io.BytesIO):
    """``wsgi.input`` that remembers how many bytes the application read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.bytes_read += len(line)
        return line
