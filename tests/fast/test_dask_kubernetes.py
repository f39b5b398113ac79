"""Fast tier: the Dask operator's resources (`use_kubernetes` and `use_dask`) validate offline.

The DaskCluster and the DaskJob validate against the operator's own CRD schemas (the
openAPIV3Schema of the CRDs the pinned dask-kubernetes wheel ships, installed without its
dependencies into a temporary folder through uv's cache and checked against its hash),
made strict the way the API server's strict field validation is: an unknown field fails
wherever the schema lists the fields. Every pod spec inside them (scheduler, workers, the
job's runner) and the scheduler's Service validate against the Kubernetes API schemas with
`kubernetes-validate`, strictly, as in test_kubernetes.py. The resources keep the rules the
docs promise: non-root, read-only root filesystems, resources, MLflow settings from the
base's ConfigMap and Secret, one shared claim at the same path, the operator's labels.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from support.commands import run
from support.rendering import render

SLUG = "demo-project"
KUSTOMIZATION = "kustomization.yaml"
# The operator release whose CRDs the manifests are written for (PyPI's sha256 of its wheel).
OPERATOR = "dask-kubernetes==2026.3.0"
OPERATOR_SHA256 = (
    "5cf138e03cb1851063b82b74e9fd4679251238e3867fcae1e3682aada6410728"  # pragma: allowlist secret
)
CRDS = "dask_kubernetes/operator/deployment/helm/dask-kubernetes-operator/crds"
FILES = {"kustomization.yaml", "shared-pvc.yaml", "dask-cluster.yaml", "predict-daskjob.yaml"}


@pytest.fixture(scope="module")
def k8s(tmp_path_factory) -> Path:
    root = render(tmp_path_factory.mktemp("dask-k8s") / SLUG, {"use_kubernetes": True})
    return root / "deploy" / "k8s"


@pytest.fixture(scope="module")
def schemas(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """The operator's CRD schemas by kind, closed where they list the fields."""
    folder = tmp_path_factory.mktemp("operator")
    requirement = folder / "requirements.txt"
    requirement.write_text(f"{OPERATOR} --hash=sha256:{OPERATOR_SHA256}\n")
    run(
        [sys.executable, "-m", "uv", "pip", "install", "--quiet", "--no-deps", "--require-hashes"]
        + ["--python", sys.executable, "--target", folder / "site", "-r", requirement],
        timeout=300,
    )
    found = {}
    for path in (folder / "site" / CRDS).glob("*.yaml"):
        crd = yaml.safe_load(path.read_text())
        [version] = crd["spec"]["versions"]
        kind = crd["spec"]["names"]["kind"]
        found[kind] = {
            "apiVersion": f"{crd['spec']['group']}/{version['name']}",
            "schema": closed(version["schema"]["openAPIV3Schema"]),
        }
    assert {"DaskCluster", "DaskJob"} <= set(found)
    return found


def closed(schema: Any) -> Any:
    """`schema` with additionalProperties: false wherever it lists properties and leaves
    unknown fields neither allowed nor preserved (the API server's strict validation)."""
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: closed(value) for key, value in schema.items()}
    if (
        "properties" in result
        and "additionalProperties" not in result
        and not result.get("x-kubernetes-preserve-unknown-fields")
    ):
        result["additionalProperties"] = False
    return result


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def resources(k8s: Path) -> dict[str, dict]:
    listed = load(k8s / "dask" / KUSTOMIZATION)["resources"]
    return {r["kind"]: r for r in (load(k8s / "dask" / name) for name in listed)}


def validate_custom(resource: dict, schemas: dict[str, dict[str, Any]]) -> None:
    """What the API server checks of a custom resource: its type, name and fields."""
    crd = schemas[resource["kind"]]
    assert resource["apiVersion"] == crd["apiVersion"]
    assert set(resource) == {"apiVersion", "kind", "metadata", "spec"}
    assert set(resource["metadata"]) == {"name"}
    body = {key: value for key, value in resource.items() if key == "spec"}
    jsonschema.validate(body, crd["schema"])


def validate_kubernetes(kind: str, spec: dict) -> None:
    version = "v1"
    resource = {"apiVersion": version, "kind": kind, "metadata": {"name": "check"}, "spec": spec}
    kubernetes_validate.validate(resource, kubernetes_validate.latest_version(), strict=True)


def clusters(found: dict[str, dict]) -> dict[str, dict]:
    """Each Dask cluster spec by the name of the cluster the operator makes of it."""
    cluster, job = found["DaskCluster"], found["DaskJob"]
    return {
        cluster["metadata"]["name"]: cluster["spec"],
        job["metadata"]["name"]: job["spec"]["cluster"]["spec"],  # the operator's naming
    }


def pod_specs(found: dict[str, dict]) -> list[dict]:
    specs = [found["DaskJob"]["spec"]["job"]["spec"]]
    for spec in clusters(found).values():
        specs += [spec["scheduler"]["spec"], spec["worker"]["spec"]]
    return specs


def containers(pod: dict) -> list[dict]:
    return pod.get("initContainers", []) + pod["containers"]


def test_the_component_lists_every_file_beside_it(k8s):
    kustomization = load(k8s / "dask" / KUSTOMIZATION)
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1alpha1"
    assert kustomization["kind"] == "Component"
    assert {p.name for p in (k8s / "dask").iterdir()} == FILES
    assert sorted(kustomization["resources"]) == sorted(FILES - {KUSTOMIZATION})
    overlay = (k8s / "overlays" / "example" / KUSTOMIZATION).read_text()
    assert "#   - ../../dask" in overlay  # shown, not applied: the operator may be missing
    # kustomize's `images` reaches every `containers` list, custom resources' too: the
    # overlay that takes the component sets the image of its pods.
    assert SLUG in {image["name"] for image in yaml.safe_load(overlay)["images"]}


def test_the_custom_resources_validate_against_the_operator_schemas(k8s, schemas):
    found = resources(k8s)
    assert set(found) == {"DaskCluster", "DaskJob", "PersistentVolumeClaim"}
    for kind in ("DaskCluster", "DaskJob"):
        validate_custom(found[kind], schemas)
    kubernetes_validate.validate(
        found["PersistentVolumeClaim"], kubernetes_validate.latest_version(), strict=True
    )


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("DaskCluster", ["spec", "worker", "replica"]),
        ("DaskCluster", ["spec", "scheduler", "services"]),
        ("DaskJob", ["spec", "job", "template"]),
        ("DaskJob", ["spec", "cluster", "spec", "worker", "spec", "container"]),
    ],
)
def test_a_field_the_operator_does_not_know_fails_validation(k8s, schemas, kind, path):
    resource = copy.deepcopy(resources(k8s)[kind])
    parent = resource
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = {}
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        validate_custom(resource, schemas)


def test_the_pods_and_the_scheduler_services_validate_as_kubernetes_resources(k8s):
    found = resources(k8s)
    for pod in pod_specs(found):
        validate_kubernetes("Pod", pod)
    for spec in clusters(found).values():
        validate_kubernetes("Service", spec["scheduler"]["service"])


def test_each_scheduler_service_selects_its_scheduler_by_the_operator_labels(k8s):
    for name, spec in clusters(resources(k8s)).items():
        service = spec["scheduler"]["service"]
        assert service["selector"] == {
            "dask.org/cluster-name": name,
            "dask.org/component": "scheduler",
        }
        [scheduler] = spec["scheduler"]["spec"]["containers"]
        ports = {port["name"]: port["containerPort"] for port in scheduler["ports"]}
        assert ports == {"tcp-comm": 8786, "http-dashboard": 8787}
        assert {p["targetPort"] for p in service["ports"]} == set(ports)


def test_pods_run_locked_down_with_settings_from_the_base(k8s):
    found = resources(k8s)
    for pod in pod_specs(found):
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 1000
        for container in containers(pod):
            assert container["image"] == f"{SLUG}:prod"
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert container["resources"]["limits"] and container["resources"]["requests"]
            assert "/tmp" in {mount["mountPath"] for mount in container["volumeMounts"]}
    # Everything that loads or logs a model reads the MLflow settings of the base.
    workers = [spec["worker"]["spec"]["containers"] for spec in clusters(found).values()]
    runner = found["DaskJob"]["spec"]["job"]["spec"]["containers"]
    for container in [c for group in [*workers, runner] for c in group]:
        assert container["envFrom"] == [
            {"configMapRef": {"name": f"{SLUG}-config"}},
            {"secretRef": {"name": f"{SLUG}-mlflow", "optional": True}},
        ]


def test_the_workers_and_the_job_share_the_data_at_the_same_path(k8s):
    found = resources(k8s)
    claim = found["PersistentVolumeClaim"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    job = found["DaskJob"]["spec"]["job"]["spec"]
    sharing = [job] + [spec["worker"]["spec"] for spec in clusters(found).values()]
    for pod in sharing:
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["data"]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
        for container in pod["containers"]:
            assert {"name": "data", "mountPath": "/data"} in container["volumeMounts"]


def test_the_job_runs_predict_on_its_own_cluster(k8s):
    job = resources(k8s)["DaskJob"]
    pod = job["spec"]["job"]["spec"]
    assert pod["restartPolicy"] == "Never"
    [runner] = pod["containers"]
    args = runner["args"]
    assert args[0] == "predict"
    options = dict(zip(args[1::2], args[2::2], strict=True))
    assert options["--scheduler"] == "$(DASK_SCHEDULER_ADDRESS)"  # set by the operator
    assert options["--input"].startswith("/data/") and options["--output"].startswith("/data/")
    assert options["--model"] == f"models:/{SLUG}@champion"
    [wait] = pod["initContainers"]
    assert f"tcp://{job['metadata']['name']}-scheduler:8786" in " ".join(wait["args"])


def gibibytes(text: str) -> int:
    number, _unit = re.fullmatch(r"([0-9]+)(Gi|GiB)", text).groups()
    return int(number)


def test_workers_spill_before_their_pod_limit(k8s):
    for spec in clusters(resources(k8s)).values():
        [worker] = spec["worker"]["spec"]["containers"]
        assert worker["command"] == ["dask"] and worker["args"][0] == "worker"
        assert "$(DASK_SCHEDULER_ADDRESS)" in worker["args"]
        [spill] = [a.split("=", 1)[1] for a in worker["args"] if a.startswith("--memory-limit=")]
        assert gibibytes(spill) < gibibytes(worker["resources"]["limits"]["memory"])


def test_no_dask_resources_without_dask(tmp_path):
    root = render(tmp_path / SLUG, {"use_kubernetes": True, "use_dask": False})
    assert (root / "deploy" / "k8s" / "base").is_dir()
    assert not (root / "deploy" / "k8s" / "dask").exists()
    assert (
        "dask" not in (root / "deploy" / "k8s" / "overlays" / "example" / KUSTOMIZATION).read_text()
    )
