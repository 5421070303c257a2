"""Kizuna works installed from a wheel, not only from the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("kizuna-*.whl")
    return built


def test_wheel_ships_templates_example_config_and_unit(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "worker/defaults/config.example.toml",
        "worker/defaults/kizuna.service",
        "worker/defaults/templates/reconnection_en.txt.j2",
        "worker/defaults/templates/reconnection_ja.txt.j2",
        "worker/defaults/templates/thank_you_en.txt.j2",
        "worker/defaults/templates/thank_you_ja.txt.j2",
        "worker/cli.py",
    ):
        assert expected in names, expected
    assert not any(n.startswith(("tests/", "scripts/", "config/")) for n in names)


def test_installed_wheel_runs_away_from_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    # Only the installed copy and the dependencies: not the checkout.
    deps = [p for p in sys.path if "site-packages" in p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), *deps]), "PYTHONSAFEPATH": "1"}
    code = (
        "import worker, sys, tomllib, importlib.resources as r\n"
        "from datetime import datetime, UTC\n"
        "from worker.outreach.compose import Profile, render_reconnection\n"
        "from worker.model import Contact\n"
        "from worker.config import parse_config\n"
        f"assert worker.__file__.startswith({str(target)!r}), worker.__file__\n"
        "parse_config(tomllib.loads(r.files('worker.defaults').joinpath('config.example.toml').read_text()))\n"
        "c = Contact('a@gmail.com', '山田 太郎', None, datetime(2015,1,1,tzinfo=UTC), None, None, 1, 1)\n"
        "d = render_reconnection(c, Profile('Me', 'why'), 'ja', datetime.now(UTC))\n"
        "print(d.body.splitlines()[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "山田さん"
    helped = subprocess.run(
        [sys.executable, "-m", "worker", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert helped.returncode == 0 and "kizuna" in helped.stdout.lower()
    # the console script the contract names, as pip made it
    script = subprocess.run(
        [str(target / "bin" / "kizuna"), "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert script.returncode == 0, script.stderr
    assert script.stdout == helped.stdout.replace("python -m worker", "kizuna")
