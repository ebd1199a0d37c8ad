"""``python -m sandbox --port 8100 ...``: run the sandbox provider (see README.md)."""

from __future__ import annotations

import logging

from sandbox.config import arguments_parse
from sandbox.server import serve


def main() -> None:
    config, options = arguments_parse()
    logging.basicConfig(
        level=options.log_level.upper(),
        format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s",
    )
    serve(config, options)


if __name__ == "__main__":
    main()
