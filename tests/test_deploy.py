"""The deployment files: the compose file's shape (a proxy, two webhook instances,
one worker, PostgreSQL, Redis, healthchecks, no secrets inline, only settings the
bot knows), the image's runtime-only install, and the Makefile's two installs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SETTINGS = {name.upper() for name in Settings.model_fields}
SECRET = re.compile(r"TOKEN|SECRET|PASSWORD|DATABASE_URL", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def _env_keys(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def _bot_services(compose: dict) -> dict[str, dict]:
    return {name: s for name, s in compose["services"].items()
            if s.get("image", "").startswith("saual")}


def test_the_services_are_a_proxy_two_webhooks_a_worker_postgres_and_redis(compose):
    services = compose["services"]
    assert {"proxy", "worker", "postgres", "redis", "init"} <= set(services)
    webhooks = [n for n, s in services.items() if s.get("command") == ["run", "--webhook"]]
    assert sorted(webhooks) == ["webhook-1", "webhook-2"]
    assert [n for n, s in services.items() if s.get("command") == ["worker"]] == ["worker"]
    assert services["init"]["command"] == ["index"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["proxy"]["image"].startswith("caddy:")
    # The proxy is the only service published on the host, on https's port.
    published = {n for n, s in services.items() if s.get("ports")}
    assert published == {"proxy"} and "443:443" in services["proxy"]["ports"]


def test_the_instances_share_state_and_wait_for_the_migrations(compose):
    for name, service in _bot_services(compose).items():
        assert service["env_file"] == ["saual.env"], name
        assert "index:/app/var/index" in service["volumes"], name  # one index for all
        if name == "init":
            continue
        assert service["environment"]["REDIS_URL"].startswith("redis://redis:"), name
        assert service["depends_on"]["init"] == {"condition": "service_completed_successfully"}
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in ("webhook-1", "webhook-2"):  # only the worker drains the outbox
        assert compose["services"][name]["environment"]["DELIVERY_ENABLED"] == "false"


def test_every_long_running_service_has_a_healthcheck(compose):
    services = compose["services"]
    for name in ("webhook-1", "webhook-2", "worker"):
        probe = " ".join(services[name]["healthcheck"]["test"])
        assert "/healthz" in probe, name
    assert "9100" in " ".join(services["worker"]["healthcheck"]["test"])
    assert services["worker"]["environment"]["METRICS_PORT"] == "9100"
    for name in ("proxy", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert "healthcheck" not in services["init"]  # a one-shot job


def test_no_secret_is_written_in_the_compose_file(compose):
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            assert not SECRET.search(key), f"{name}: {key} belongs in an env file"
            assert not re.search(r"://[^/\s]*:[^/\s]*@", str(value)), f"{name}: {key}"
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert not re.search(r"\d{6,}:[A-Za-z0-9_-]{30,}", text)  # a bot token's shape


def test_every_setting_in_the_compose_and_env_files_is_one_the_bot_knows(compose):
    for name, service in _bot_services(compose).items():
        unknown = set(service.get("environment") or {}) - SETTINGS
        assert not unknown, f"{name}: {sorted(unknown)} are not bot.config.Settings fields"
    example = _env_keys(DEPLOY / "saual.env.example")
    assert set(example) <= SETTINGS, sorted(set(example) - SETTINGS)
    assert {"BOT_TOKEN", "WEBHOOK_SECRET", "WEBHOOK_URL", "DATABASE_URL"} <= set(example)
    assert example["BOT_TOKEN"] == example["WEBHOOK_SECRET"] == ""  # filled in by the operator
    assert example["DATABASE_URL"].startswith("postgresql+asyncpg://")
    postgres = _env_keys(DEPLOY / "postgres.env.example")
    assert f":{postgres['POSTGRES_PASSWORD']}@" in example["DATABASE_URL"]
    assert f"/{postgres['POSTGRES_DB']}" in example["DATABASE_URL"]


def test_the_filled_in_env_files_are_never_committed():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "deploy/*.env" in ignored
    docker = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", "*.env", "var", ".venv", "tests"} <= set(docker)


def test_the_proxy_sends_only_updates_and_the_api_to_both_instances():
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    rules = "\n".join(line for line in caddy.splitlines() if not line.lstrip().startswith("#"))
    assert "reverse_proxy webhook-1:8080 webhook-2:8080" in rules
    assert "health_uri /healthz" in rules
    matcher = re.search(r"@bot path (.+)", rules).group(1).split()
    assert "/telegram" in matcher and "/metrics" not in matcher and "/healthz" not in matcher
    assert "respond 404" in rules


def test_the_image_installs_the_runtime_only_and_runs_as_a_user():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    steps = "\n".join(line for line in dockerfile.splitlines() if not line.startswith("#"))
    assert "-c constraints.txt '.[pg,redis]'" in steps
    assert "torch" not in steps and "[test]" not in steps and ".[st" not in steps
    assert re.search(r"^USER saual$", steps, re.MULTILINE)
    assert "/healthz" in steps and 'ENTRYPOINT ["saual"]' in steps


def test_make_run_installs_the_runtime_and_make_test_completes_it(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("no make")
    venv = tmp_path / "venv"

    def dry(target: str) -> str:
        """The commands `make` would run (its comments left out)."""
        out = subprocess.run(["make", "-n", f"VENV={venv}", target], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
        return "".join(line for line in out.splitlines(keepends=True)
                       if not line.startswith("#"))

    run = dry("run")
    assert "-c constraints.txt -e .\n" in run and "torch" not in run and "npm" not in run
    [sample] = [line for line in run.splitlines() if "--if-empty" in line]
    files = re.findall(r"\S+\.csv", sample)
    assert files == ["knowledge/polling_stations/aktau.sample.csv",
                     "knowledge/polling_stations/aktau.sample.aliases.csv"]
    assert all((ROOT / f).is_file() for f in files)
    # A venv `make run` made (the runtime stamp exists) is completed by `make test`.
    venv.mkdir()
    (venv / ".installed-runtime").touch()
    test = dry("test")
    assert "python -m venv" not in test  # the runtime is there already
    assert "torch==2.13.0" in test and "'.[test]'" in test and "npm ci" in test
    assert test.index("torch==2.13.0") < test.index("'.[test]'")
    assert "pytest" in test


def _compose_command() -> list[str] | None:
    """`docker compose` (the plugin), else a standalone `docker-compose`, else None."""
    if shutil.which("docker") and subprocess.run(
            ["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_accepts_the_file(tmp_path):
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` here")
    env_dir = tmp_path / "deploy"
    shutil.copytree(DEPLOY, env_dir)
    shutil.copy(ROOT / "Dockerfile", tmp_path)  # the build context, as in the repository
    shutil.copy(env_dir / "saual.env.example", env_dir / "saual.env")
    shutil.copy(env_dir / "postgres.env.example", env_dir / "postgres.env")
    result = subprocess.run([*command, "-f", str(env_dir / "compose.yaml"), "config",
                             "--quiet"], capture_output=True, text=True,
                            env={**os.environ, "SAUAL_DOMAIN": "bot.example.kz"})
    assert result.returncode == 0, result.stderr
