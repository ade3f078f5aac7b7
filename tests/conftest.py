import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import base64
import os
from collections.abc import Iterator

import pytest

TEST_VAULT_KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture(autouse=True, scope="session")
def _vault_key() -> Iterator[None]:
    """Every test runs with a fixed identity-vault key, as ingest requires one (see clearsight.vault).

    Session-scoped, so module-scoped fixtures that ingest see it too; tests that need no key unset it
    with monkeypatch.
    """
    previous = os.environ.get("CLEARSIGHT_VAULT_KEY")
    os.environ["CLEARSIGHT_VAULT_KEY"] = TEST_VAULT_KEY
    yield
    if previous is None:
        os.environ.pop("CLEARSIGHT_VAULT_KEY", None)
    else:
        os.environ["CLEARSIGHT_VAULT_KEY"] = previous
