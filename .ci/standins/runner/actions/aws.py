"""aws-actions/configure-aws-credentials (OIDC) and aws-actions/amazon-ecr-login.

    aws.py credentials   assume `role-to-assume` with the job's OIDC token (STS
                         AssumeRoleWithWebIdentity), export the credentials and the region
    aws.py ecr-login     ECR GetAuthorizationToken (SigV4-signed), then `docker login`

The APIs are AWS's own (sts/api.ecr.<region>.amazonaws.com) unless AWS_ENDPOINT_URL (or
AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL_ECR) names another, such as moto in server mode.
GitHub's runner hands jobs with `id-token: write` an OIDC token service
(ACTIONS_ID_TOKEN_REQUEST_URL); act has none, so the stand-in then sends an unsigned token
carrying the same claims, which only a local STS accepts. The ECR registry is logged into
through BERTH_REGISTRY_MAP (the local registry receives the push).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from common import export_env, fail, mapped_registry, mask, notice, read_input, run, set_output

STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


def endpoint(service: str, default: str) -> str:
    return (
        os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}")
        or os.environ.get("AWS_ENDPOINT_URL")
        or default
    ).rstrip("/")


def oidc_token(audience: str) -> str:
    url, bearer = os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL"), os.environ.get(
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
    )
    if url and bearer:
        request = urllib.request.Request(
            f"{url}&audience={urllib.parse.quote(audience)}",
            headers={"Authorization": f"Bearer {bearer}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["value"]
    notice("no OIDC token service on this runner: sending an unsigned token with GitHub's claims")
    repository, ref = os.environ.get("GITHUB_REPOSITORY", ""), os.environ.get("GITHUB_REF", "")
    now = int(time.time())
    claims = {
        "iss": "https://token.actions.githubusercontent.com",
        "aud": audience,
        "sub": f"repo:{repository}:ref:{ref}",
        "repository": repository,
        "ref": ref,
        "sha": os.environ.get("GITHUB_SHA", ""),
        "iat": now,
        "exp": now + 300,
    }

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def credentials() -> None:
    region = read_input("aws-region")
    role = read_input("role-to-assume")
    if not region:
        fail("Input required and not supplied: aws-region")
    if not role:
        fail("the stand-in supports the OIDC role flow only: set role-to-assume")
    export_env("AWS_REGION", region)
    export_env("AWS_DEFAULT_REGION", region)
    form = {
        "Action": "AssumeRoleWithWebIdentity",
        "Version": "2011-06-15",
        "RoleArn": role,
        "RoleSessionName": read_input("role-session-name", "GitHubActions"),
        "DurationSeconds": read_input("role-duration-seconds", "3600"),
        "WebIdentityToken": oidc_token(read_input("audience", "sts.amazonaws.com")),
    }
    url = endpoint("sts", f"https://sts.{region}.amazonaws.com") + "/"
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            tree = ET.fromstring(response.read())
    except OSError as error:
        fail(f"Could not assume role with OIDC: {error}")
    result = tree.find(f"{STS_NS}AssumeRoleWithWebIdentityResult")
    creds = result.find(f"{STS_NS}Credentials")

    def text(node, name: str) -> str:
        return node.find(f"{STS_NS}{name}").text or ""

    values = {
        "AWS_ACCESS_KEY_ID": text(creds, "AccessKeyId"),
        "AWS_SECRET_ACCESS_KEY": text(creds, "SecretAccessKey"),
        "AWS_SESSION_TOKEN": text(creds, "SessionToken"),
    }
    for name, value in values.items():
        mask(value)
        export_env(name, value)
    arn = text(result.find(f"{STS_NS}AssumedRoleUser"), "Arn")
    account = arn.split(":")[4] if arn.count(":") >= 5 else ""
    set_output("aws-account-id", account)
    print(f"Assumed role {role} (account {account})", flush=True)


def signed_post(url: str, region: str, service: str, target: str, body: bytes) -> dict:
    """A SigV4-signed AWS JSON 1.1 call with the exported credentials."""
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        fail("no AWS credentials: run aws-actions/configure-aws-credentials first")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    parsed = urllib.parse.urlsplit(url)
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "host": parsed.netloc,
        "x-amz-date": stamp,
        "x-amz-target": target,
    }
    if os.environ.get("AWS_SESSION_TOKEN"):
        headers["x-amz-security-token"] = os.environ["AWS_SESSION_TOKEN"]
    names = sorted(headers)
    canonical = "\n".join(
        [
            "POST",
            parsed.path or "/",
            "",
            "".join(f"{name}:{headers[name]}\n" for name in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    signing = f"AWS4{secret}".encode()
    for part in (stamp[:8], region, service, "aws4_request"):
        signing = hmac.new(signing, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={';'.join(names)}, "
        f"Signature={signature}"
    )
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except OSError as error:
        fail(f"{target} failed: {error}")
    return {}


def ecr_login() -> None:
    if read_input("registry-type", "private") != "private":
        fail("the stand-in logs in to private ECR registries only")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        fail("Region is missing: run aws-actions/configure-aws-credentials first")
    ids = [item.strip() for item in read_input("registries").split(",") if item.strip()]
    body = json.dumps({"registryIds": ids} if ids else {}).encode()
    url = endpoint("ecr", f"https://api.ecr.{region}.amazonaws.com") + "/"
    data = signed_post(
        url, region, "ecr", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", body
    )
    registries = []
    for item in data.get("authorizationData", []):
        user, _, password = base64.b64decode(item["authorizationToken"]).decode().partition(":")
        registry = urllib.parse.urlsplit(item["proxyEndpoint"]).netloc
        mask(password)
        target = mapped_registry(registry)
        if target != registry:
            notice(f"login {registry} -> {target} (BERTH_REGISTRY_MAP)")
        run(
            ["docker", "login", target, "--username", user, "--password-stdin"],
            input=password,
            text=True,
        )
        suffix = registry.replace(".", "_").replace("-", "_")
        set_output(f"docker_username_{suffix}", user)
        set_output(f"docker_password_{suffix}", password)
        registries.append(registry)
    if not registries:
        fail("GetAuthorizationToken returned no registry")
    set_output("registry", ",".join(registries))


if __name__ == "__main__":
    {"credentials": credentials, "ecr-login": ecr_login}[sys.argv[1]]()
