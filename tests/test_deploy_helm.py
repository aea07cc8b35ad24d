"""Helm chart deploy/helm/policyhub: lint, render and validate offline.

No Debian, PyPI or npm package ships the helm CLI or kubeconform. The tests
use helm-python-sdk, which binds Helm's Go SDK (v4) for `helm lint` and
`helm template`, and kubernetes-validate, which checks each rendered object
against the Kubernetes OpenAPI schemas as kubeconform does.
"""

from pathlib import Path

import pytest
import yaml

helm = pytest.importorskip(
    "helm_python",
    reason="helm-python-sdk is missing; pip install -r requirements-test.txt",
)
kubernetes_validate = pytest.importorskip(
    "kubernetes_validate",
    reason="kubernetes-validate is missing; pip install -r requirements-test.txt",
)

CHART = Path(__file__).resolve().parent.parent / "deploy" / "helm" / "policyhub"
KUBERNETES_VERSIONS = ("1.29.0", "1.33.0")
SECRET_VARIABLES = (
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "POLICYHUB_SIGNING_PASSPHRASE",
)
S3_VALUES = yaml.safe_load((CHART / "ci" / "s3-values.yaml").read_text())
PVC_VALUES = yaml.safe_load((CHART / "ci" / "pvc-values.yaml").read_text())
MINIO_VALUES = {
    "objectStorage": {
        "bucket": "policyhub",
        "endpointUrl": "https://minio.storage.svc:9000",
        "addressingStyle": "path",
        "credentialsSecret": "policyhub-minio",
    }
}


def render(values):
    """Render the chart as `helm template` does; return its objects by kind and name."""
    with helm.Chart.load(CHART) as chart:
        manifests = chart.render(values, name="policyhub", namespace="policies")
    objects = {}
    for path, text in manifests.items():
        if not path.endswith(".yaml"):
            continue
        for document in yaml.safe_load_all(text):
            if document:
                objects[(document["kind"], document["metadata"]["name"])] = document
    return objects


def workloads(objects):
    """Return the pod template spec of each Deployment and Job, by name."""
    return {
        name: document["spec"]["template"]["spec"]
        for (kind, name), document in objects.items()
        if kind in ("Deployment", "Job")
    }


@pytest.mark.parametrize("values", [S3_VALUES, PVC_VALUES, MINIO_VALUES])
def test_chart_lints_without_findings(values):
    report = helm.lint(CHART, values, strict=True)
    assert report["errors"] == []
    findings = [m for m in report["messages"] if m["severity"] >= 2]
    assert findings == []


@pytest.mark.parametrize("values", [S3_VALUES, PVC_VALUES, MINIO_VALUES])
@pytest.mark.parametrize("kubernetes_version", KUBERNETES_VERSIONS)
def test_rendered_objects_match_schemas(values, kubernetes_version):
    objects = render(values)
    assert len(objects) >= 7
    for document in objects.values():
        kubernetes_validate.validate(document, kubernetes_version, strict=True)


def test_schema_check_rejects_bad_object():
    deployment = render(S3_VALUES)[("Deployment", "policyhub-web")]
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"][
        "runAsUser"
    ] = "ten thousand"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


def test_shared_files_required_for_replicas():
    with pytest.raises(helm.HelmError, match="media.existingClaim"):
        render({})


def test_web_scales_with_autoscaler():
    objects = render(S3_VALUES)
    web = objects[("Deployment", "policyhub-web")]
    autoscaler = objects[("HorizontalPodAutoscaler", "policyhub-web")]
    assert "replicas" not in web["spec"]
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == "policyhub-web"
    assert autoscaler["spec"]["minReplicas"] >= 2
    assert ("PodDisruptionBudget", "policyhub-web") in objects
    fixed = render(PVC_VALUES)
    assert fixed[("Deployment", "policyhub-web")]["spec"]["replicas"] == 3
    assert ("HorizontalPodAutoscaler", "policyhub-web") not in fixed


def test_beat_runs_single_replica():
    beat = render(S3_VALUES)[("Deployment", "policyhub-beat")]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    command = beat["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:3] == ["celery", "--app=policyhub", "beat"]
    assert "--schedule=/tmp/celerybeat-schedule" in command


def test_migrations_run_as_hook():
    job = render(S3_VALUES)[("Job", "policyhub-migrate")]
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "manage.py", "migrate", "--no-input"]
    # The Job cannot use the ConfigMap, which a first install creates after hooks.
    assert "envFrom" not in container
    names = {item["name"] for item in container["env"]}
    assert {"ALLOWED_HOSTS", "AWS_STORAGE_BUCKET_NAME", "DATABASE_URL_FILE"} <= names


def test_pods_run_hardened():
    for name, pod in workloads(render(S3_VALUES)).items():
        security = pod["securityContext"]
        assert security["runAsNonRoot"] is True, name
        assert security["runAsUser"] == 10001, name
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        mounts_by_volume = {}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert context["runAsNonRoot"] is True, name
            assert set(container["resources"]) == {"requests", "limits"}, name
            for mount in container["volumeMounts"]:
                mounts_by_volume[mount["name"]] = mount
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        assert "emptyDir" in volumes["tmp"], name
        assert mounts_by_volume["tmp"]["mountPath"] == "/tmp", name
        assert mounts_by_volume["secrets"]["readOnly"] is True, name


def test_probes_request_healthz_with_host():
    web = render(S3_VALUES)[("Deployment", "policyhub-web")]
    container = web["spec"]["template"]["spec"]["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        request = container[probe]["httpGet"]
        assert request["path"] == "/healthz"
        assert request["port"] == "http"
        assert request["httpHeaders"] == [
            {"name": "Host", "value": "policies.bank.example"}
        ]


def test_secrets_are_referenced_not_rendered():
    for values in (S3_VALUES, MINIO_VALUES):
        objects = render(values)
        assert not [key for key in objects if key[0] == "Secret"]
        config = objects[("ConfigMap", "policyhub")]["data"]
        for name, pod in workloads(objects).items():
            container = pod["containers"][0]
            environment = {item["name"]: item["value"] for item in container["env"]}
            for variable in SECRET_VARIABLES:
                assert variable not in environment, name
                assert variable not in config
                assert environment[f"{variable}_FILE"].startswith(
                    "/var/run/secrets/"
                ), name
            volumes = {volume["name"]: volume for volume in pod["volumes"]}
            assert volumes["secrets"]["secret"]["secretName"] == "policyhub"
            assert volumes["signing"]["secret"]["secretName"] == "policyhub-signing"


def test_object_storage_credentials_optional():
    s3 = render(S3_VALUES)
    config = s3[("ConfigMap", "policyhub")]["data"]
    assert config["AWS_STORAGE_BUCKET_NAME"] == "policyhub-documents"
    assert config["AWS_S3_SERVER_SIDE_ENCRYPTION"] == "aws:kms"
    web = workloads(s3)["policyhub-web"]
    names = {item["name"] for item in web["containers"][0]["env"]}
    assert "AWS_ACCESS_KEY_ID_FILE" not in names
    account = s3[("ServiceAccount", "policyhub")]
    assert account["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/policyhub"
    }
    assert web["serviceAccountName"] == "policyhub"

    minio = workloads(render(MINIO_VALUES))["policyhub-web"]
    environment = {
        item["name"]: item["value"] for item in minio["containers"][0]["env"]
    }
    assert environment["AWS_SECRET_ACCESS_KEY_FILE"] == (
        "/var/run/secrets/policyhub-storage/secret-access-key"
    )
    volumes = {volume["name"]: volume for volume in minio["volumes"]}
    assert volumes["storage-credentials"]["secret"]["secretName"] == "policyhub-minio"


def test_local_media_uses_shared_claim():
    objects = render(PVC_VALUES)
    for pod in workloads(objects).values():
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        assert (
            volumes["media"]["persistentVolumeClaim"]["claimName"] == "policyhub-media"
        )
    assert objects[("ConfigMap", "policyhub")]["data"]["MEDIA_ROOT"] == "/app/var/media"
