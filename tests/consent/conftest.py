"""The consent tests share the web tests' logged-in browser client."""
from tests.web.conftest import browser  # noqa: F401 - fixture
