"""requirements.txt and environment.yml pin the same packages at the same versions."""

import re

import yaml

CONDA_NAMES = {"pytorch": "torch"}  # conda package name -> PyPI name, where they differ


def requirements(root):
    pins = {}
    for line in (root / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line).groups()
            pins[name.lower()] = version
    return pins


def conda_env(root):
    env = yaml.safe_load((root / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for spec in dep["pip"]:
                if "==" in spec:
                    name, version = spec.split("==")
                    pins[name.lower()] = version
        elif "=" in dep and not dep.startswith("python="):
            name, version = dep.split("=", 1)
            pins[CONDA_NAMES.get(name.lower(), name.lower())] = version.lstrip("=")
    return pins


def test_every_requirement_is_pinned_exactly(root):
    for line in (root / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[^\s;*]+", line), f"not an exact pin: {line!r}"


def test_environment_yml_pins_the_same_packages_and_versions(root):
    assert conda_env(root) == requirements(root)


def test_installed_versions_match_the_pins(root):
    from importlib.metadata import version

    for name, pinned in requirements(root).items():
        assert version(name) == pinned, f"{name}: installed {version(name)}, pinned {pinned}"


def test_hp_lib_is_installed_editable():
    import json
    from importlib.metadata import distribution

    direct_url = json.loads(distribution("hp_lib").read_text("direct_url.json"))
    assert direct_url["dir_info"].get("editable") is True


def test_the_kernel_is_registered_inside_the_environment():
    import sys
    from pathlib import Path

    spec = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "hp-book" / "kernel.json"
    assert spec.exists(), spec
