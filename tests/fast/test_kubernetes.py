"""Fast tier: the Kubernetes manifests (`use_kubernetes`) validate offline, strictly.

Each resource of the kustomize base, and the base as the example overlay renders it (the
overlay's namespace, image and ConfigMap patch applied here in Python, as kustomize would),
validates against the Kubernetes API schemas that `kubernetes-validate` ships (strict: an
unknown field fails). The kustomizations list every file beside them, and the workloads
hold the rules the docs promise: non-root, read-only root filesystems, probes on /ping.
"""

from __future__ import annotations

import copy
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from support.rendering import render

SLUG = "demo-project"
KUSTOMIZATION = "kustomization.yaml"


@pytest.fixture(scope="module")
def k8s(tmp_path_factory) -> Path:
    root = render(tmp_path_factory.mktemp("k8s") / SLUG, {"use_kubernetes": True})
    return root / "deploy" / "k8s"


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def base_resources(k8s: Path) -> list[dict]:
    listed = load(k8s / "base" / KUSTOMIZATION)["resources"]
    return [load(k8s / "base" / name) for name in listed]


def validate(resource: dict) -> None:
    version = kubernetes_validate.latest_version()
    kubernetes_validate.validate(resource, version, strict=True)


def test_each_kustomization_lists_every_file_beside_it(k8s):
    for folder in (k8s / "base", k8s / "overlays" / "example"):
        kustomization = load(folder / KUSTOMIZATION)
        assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
        listed = kustomization.get("resources", []) + [
            p["path"] for p in kustomization.get("patches", [])
        ]
        local = [name for name in listed if not name.startswith("../")]
        assert len(local) == len(set(local)), folder
        on_disk = {p.name for p in folder.iterdir()} - {KUSTOMIZATION}
        assert set(local) == on_disk, folder


def test_every_base_resource_validates_strictly(k8s):
    kinds = [resource["kind"] for resource in base_resources(k8s)]
    assert sorted(kinds) == sorted(
        ["ConfigMap", "Deployment", "Service", "Job", "CronJob", "PersistentVolumeClaim"]
    )
    for resource in base_resources(k8s):
        validate(resource)


def test_a_field_kubernetes_does_not_know_fails_validation(k8s):
    [deployment] = [r for r in base_resources(k8s) if r["kind"] == "Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["path"] = "/ping"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)


def overlaid(k8s: Path) -> list[dict]:
    """The base as the example overlay renders it (the subset of kustomize it uses)."""
    folder = k8s / "overlays" / "example"
    overlay = load(folder / KUSTOMIZATION)
    assert overlay["resources"] == ["../../base"]
    assert set(overlay) <= {"apiVersion", "kind", "namespace", "resources", "images", "patches"}
    images = {image["name"]: image for image in overlay["images"]}
    patches = [load(folder / patch["path"]) for patch in overlay["patches"]]
    rendered = []
    for resource in base_resources(k8s):
        resource = copy.deepcopy(resource)
        resource["metadata"]["namespace"] = overlay["namespace"]
        for patch in patches:
            if (patch["kind"], patch["metadata"]["name"]) == (
                resource["kind"],
                resource["metadata"]["name"],
            ):
                resource["data"] = {**resource["data"], **patch["data"]}
        for container in containers(resource):
            name = container["image"].partition(":")[0]
            assert name in images, f"{container['image']} is not set by the overlay"
            container["image"] = f"{images[name]['newName']}:{images[name]['newTag']}"
        rendered.append(resource)
    return rendered


def pod_spec(resource: dict) -> dict | None:
    spec = resource.get("spec", {})
    if resource["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec.get("template", {}).get("spec")


def containers(resource: dict) -> list[dict]:
    pod = pod_spec(resource) or {}
    return pod.get("initContainers", []) + pod.get("containers", [])


def test_the_example_overlay_renders_valid_resources(k8s):
    rendered = overlaid(k8s)
    for resource in rendered:
        validate(resource)
        assert resource["metadata"]["namespace"] == SLUG
    [config] = [r for r in rendered if r["kind"] == "ConfigMap"]
    assert config["data"]["MLFLOW_TRACKING_URI"].startswith("http://mlflow.mlflow.svc")
    assert config["data"]["SERVE_WORKERS"] == "2"  # kept from the base


def test_workloads_run_locked_down_with_settings_from_the_config(k8s):
    workloads = [r for r in base_resources(k8s) if pod_spec(r)]
    assert {r["kind"] for r in workloads} == {"Deployment", "Job", "CronJob"}
    for resource in workloads:
        pod = pod_spec(resource)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 1000
        for container in containers(resource):
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert container["resources"]["limits"] and container["resources"]["requests"]
            sources = container["envFrom"]
            assert {"configMapRef": {"name": f"{SLUG}-config"}} in sources
            assert {"secretRef": {"name": f"{SLUG}-mlflow", "optional": True}} in sources
            assert "/tmp" in {mount["mountPath"] for mount in container["volumeMounts"]}


def test_serve_is_probed_on_ping_and_reached_through_its_service(k8s):
    resources = {r["kind"]: r for r in base_resources(k8s)}
    deployment, service = resources["Deployment"], resources["Service"]
    [serve] = containers(deployment)
    assert serve["args"] == ["serve"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert serve[probe]["httpGet"] == {"path": "/ping", "port": "http"}
    assert serve["ports"] == [{"name": "http", "containerPort": 8080}]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    job = resources["Job"]
    assert [c["args"] for c in containers(job)] == [["train"], ["evaluate"]]
    assert resources["CronJob"]["spec"]["suspend"] is True
