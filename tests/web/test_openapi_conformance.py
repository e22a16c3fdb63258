"""schemathesis against the OpenAPI document ``python -m web`` serves, anonymous and as an admin, a few
examples per operation (the long run: ``python -m bench.openapi_fuzz``): no 5xx, every response as
documented, and every request the document allows accepted (the few refusals no schema can express
are listed, with why, in bench/schemathesis.toml)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import openapi_fuzz
from funddesk.settings import Settings
from tests.web.browser import url, web_with_fake_rasa

pytestmark = pytest.mark.integration
EXAMPLES = 10  # per operation: about 1,000 requests per run, under a minute for both
SEED = 20261203  # fixed, so a failure here reproduces; the bench draws a new seed each run


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with web_with_fake_rasa(tmp_path_factory.mktemp("openapi") / "var") as settings:
        openapi_fuzz.add_admin(settings)
        yield settings


def _base(settings: Settings) -> str:
    return url(settings).rstrip("/")


def test_schemathesis_is_installed() -> None:
    assert openapi_fuzz.st_command().exists() and Path(openapi_fuzz.CONFIG).exists()


def test_anonymous_requests_conform_to_the_document(service: Settings) -> None:
    run = openapi_fuzz.run(_base(service), "anonymous", examples=EXAMPLES, seed=SEED)
    assert run.generated > 500, run.output
    assert (run.exit_code, run.failures) == (0, 0), run.output


def test_an_admins_requests_conform_to_the_document(service: Settings) -> None:
    headers = openapi_fuzz.admin_headers(_base(service))
    run = openapi_fuzz.run(
        _base(service), "admin", examples=EXAMPLES, seed=SEED, headers=headers, leave_out=openapi_fuzz.ADMIN_LEAVES_OUT
    )
    assert run.generated > 500, run.output
    assert (run.exit_code, run.failures) == (0, 0), run.output
