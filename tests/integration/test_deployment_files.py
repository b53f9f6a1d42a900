"""The deployment files are valid and say what the design asks for."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_docker_compose_file_is_valid() -> None:
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.fail("docker-compose is missing: bin/install --test installs it")
    result = subprocess.run(
        [compose, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_compose_runs_every_process_and_a_durable_redis() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for service in (
        "postgres:",
        "redis:",
        "web:",
        "worker:",
        "clock:",
        "beat:",
        "mailpit:",
        "migrate:",
        "inbound:",
    ):
        assert f"\n  {service}" in text
    assert '"--appendonly", "yes"' in text
    assert '"--maxmemory-policy", "noeviction"' in text


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bin/test" in readme
    assert "\nbin/test\n" in ci
    assert "RAPPORT_TEST_DATABASE=postgresql bin/test" in ci


def test_compose_is_secure_by_default_behind_its_proxy() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert 'RAPPORT_SECURE_COOKIES: "true"' in text
    assert 'RAPPORT_TRUSTED_PROXIES: "1"' in text
    assert "\n  proxy:" in text and '"443:443"' in text
    web = text.split("\n  web:")[1].split("\n  worker:")[0]
    assert "ports:" not in web  # web is reached only through the proxy
