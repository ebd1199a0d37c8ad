"""A Python client generated from the published OpenAPI schema by a standard generator
(openapi-python-client), as a platform's developers would generate theirs.

``generated_client(schema, folder)`` writes the schema, runs the generator as a subprocess into
``folder`` and imports the package it wrote; ``GeneratedClient.op("payouts", "payouts_create")``
is one operation's module (``sync_detailed``, ``sync``...), ``model("PayoutCreateRequest")`` one
model class. The package is imported under a name of its own and removed from ``sys.modules``
afterwards, so nothing generated outlives the test.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
GENERATE_TIMEOUT_S = 120

# No post hooks: the generator would otherwise run ``ruff`` over its output, which changes
# nothing that matters here and needs ruff on PATH.
_CONFIG = "post_hooks: []\n"


@dataclass(frozen=True)
class GeneratedClient:
    package: str
    root: ModuleType

    def op(self, tag: str, operation_id: str) -> Any:
        """The module of one operation, by its tag's module name and its ``operationId``."""
        return importlib.import_module(f"{self.package}.api.{tag}.{operation_id}")

    def model(self, name: str) -> Any:
        return getattr(importlib.import_module(f"{self.package}.models"), name)

    def client(self, base_url: str, token: str, **kwargs: Any) -> Any:
        """An ``AuthenticatedClient`` sending ``Authorization: Bearer <token>``; undocumented
        statuses raise."""
        return self.root.AuthenticatedClient(
            base_url=base_url, token=token, raise_on_unexpected_status=True, **kwargs
        )


def generate(schema: dict[str, Any], folder: Path, package: str) -> Path:
    """Run the generator over ``schema``; returns the package's folder. Fails with the
    generator's output when it exits non-zero."""
    schema_path = folder / "schema.json"
    schema_path.write_text(json.dumps(schema))
    config_path = folder / "generator.yaml"
    config_path.write_text(_CONFIG)
    output = folder / package
    result = subprocess.run(  # noqa: S603 - our own venv's generator, fixed arguments
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(schema_path),
            "--output-path",
            str(output),
            "--meta",
            "none",
            "--config",
            str(config_path),
            "--overwrite",
        ],
        capture_output=True,
        text=True,
        timeout=GENERATE_TIMEOUT_S,
        cwd=folder,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert result.returncode == 0, (
        f"openapi-python-client failed:\n{result.stdout}\n{result.stderr}"
    )
    assert (output / "client.py").exists(), result.stdout
    return output


@contextmanager
def generated_client(schema: dict[str, Any], folder: Path) -> Iterator[GeneratedClient]:
    package = f"payouts_client_{uuid.uuid4().hex[:8]}"
    generate(schema, folder, package)
    sys.path.insert(0, str(folder))
    try:
        yield GeneratedClient(package=package, root=importlib.import_module(package))
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[name]
