"""Certificate sign-in with Microsoft's own identity libraries against the graph-emulator.

Run by the Rust test `tests/it/certificate_clients.rs` like `oidc_clients.py` (same interpreter,
same pinned requirements, same CA settings): `$GRAPH_EMULATOR_PYTHON certificate_clients.py
CONFIG.json`. msal and azure-identity make and sign the client assertions themselves (PyJWT and
cryptography), so the emulator's verification is checked against assertions it did not make:
PS256 with `x5t#S256` (msal given the certificate, or a PKCS#12 file), RS256 with `x5t` (msal
given a SHA-1 thumbprint, as older code does), and azure-identity's CertificateCredential.
Instance discovery is off, for the reason `oidc_clients.py` gives.
"""

import json
import sys

from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential
from cryptography import x509
from cryptography.hazmat.primitives import hashes
import msal
import requests

from checks import check, expect, run

CONFIG = json.load(open(sys.argv[1], encoding="utf-8"))
HOST = CONFIG["authority_host"]
TENANT = CONFIG["tenant"]
AUTHORITY = f"{HOST}/{TENANT}"
GRAPH = CONFIG["base_url"]
AGENT = CONFIG["agent"]
CLIENT = CONFIG["certificate_client_id"]
GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


def read(path, mode="r"):
    with open(path, mode) as file:
        return file.read()


CERT_PEM = read(CONFIG["certificate_pem_path"])
KEY_PEM = read(CONFIG["certificate_key_path"])
OTHER_KEY_PEM = read(CONFIG["other_key_path"])
OTHER_CERT_PEM = read(CONFIG["other_certificate_pem_path"])

def owners_with(token):
    answer = requests.get(
        f"{GRAPH}/servicePrincipals/{AGENT}/microsoft.graph.agentIdentity/owners",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    expect(answer.status_code == 200, f"{answer.status_code} {answer.text}")


def msal_app(credential):
    return msal.ConfidentialClientApplication(
        CLIENT, client_credential=credential, authority=AUTHORITY, instance_discovery=False
    )


@check
def msal_ps256_with_the_certificate():
    result = msal_app({"private_key": KEY_PEM, "public_certificate": CERT_PEM}) \
        .acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    expect("access_token" in result, result)
    owners_with(result["access_token"])


@check
def msal_rs256_with_a_sha1_thumbprint():
    sha1 = x509.load_pem_x509_certificate(CERT_PEM.encode()).fingerprint(hashes.SHA1()).hex()
    result = msal_app({"private_key": KEY_PEM, "thumbprint": sha1}) \
        .acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    expect("access_token" in result, result)
    owners_with(result["access_token"])


@check
def msal_pkcs12():
    result = msal_app({
        "private_key_pfx_path": CONFIG["certificate_p12_path"],
        "passphrase": CONFIG["certificate_p12_password"],
    }).acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    expect("access_token" in result, result)


@check
def msal_refusals():
    # The registered certificate named, another key signing: the signature does not verify.
    forged = msal_app({"private_key": OTHER_KEY_PEM, "public_certificate": CERT_PEM}) \
        .acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    expect(forged.get("error") == "invalid_client", forged)
    expect(700027 in forged.get("error_codes", []), forged)
    expect("invalid signature" in forged.get("error_description", ""), forged)
    # A certificate the app does not have.
    unknown = msal_app({"private_key": OTHER_KEY_PEM, "public_certificate": OTHER_CERT_PEM}) \
        .acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    expect(700027 in unknown.get("error_codes", []), unknown)
    expect("The key was not found" in unknown.get("error_description", ""), unknown)


@check
def azure_identity_certificate_credential():
    credential = CertificateCredential(
        TENANT,
        CLIENT,
        certificate_data=(KEY_PEM + CERT_PEM).encode(),
        authority=HOST,
        disable_instance_discovery=True,
    )
    owners_with(credential.get_token(GRAPH_DEFAULT).token)
    unregistered = CertificateCredential(
        TENANT,
        CLIENT,
        certificate_data=(OTHER_KEY_PEM + OTHER_CERT_PEM).encode(),
        authority=HOST,
        disable_instance_discovery=True,
    )
    try:
        unregistered.get_token(GRAPH_DEFAULT)
    except ClientAuthenticationError as error:
        expect("AADSTS700027" in str(error), str(error))
    else:
        raise AssertionError("an unregistered certificate signed in")


if __name__ == "__main__":
    sys.exit(run("certificate_clients", ["msal", "azure-identity"]))
