"""Under CI a missing PostgreSQL or Redis fails the run; on a developer's machine it skips."""
import pytest

from tests import stack


def test_a_missing_server_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Redis"):
        stack.service_missing("no Redis at redis://nowhere")


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_a_missing_server_fails_under_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        stack.service_missing("no PostgreSQL at postgresql://nowhere")


def test_an_unreachable_redis_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(stack, "REDIS_URL", f"redis://127.0.0.1:{stack.free_port()}")
    with pytest.raises(pytest.fail.Exception, match="no Redis"):
        stack.redis_test_url(3)
