//! Certificate sign-in at the identity provider: client credentials with a client assertion
//! signed by the key of a certificate registered for the app, each check and each refusal, over
//! real HTTP. The assertions are made here by hand (ring signs them), so every claim can be
//! wrong on purpose.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use graph_emulator::{App, EMULATOR_TENANT, EMULATOR_TENANT_DOMAIN, Emulator, Error, Seed, tls};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RSA_PSS_SHA256, RsaKeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};

use crate::identity::{Form as _, aadsts, claims, token_url};

const CERT_APP: &str = "c3a1e2d4-5b6f-4a7c-8d9e-0f1a2b3c4d5e";
const BOTH_APP: &str = "d4b2f3e5-6c7a-4b8d-9e0f-1a2b3c4d5e6f";
const ROLE: &str = "AgentIdentity.ReadWrite.All";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A certificate and its key, as a client holds them.
struct Signer {
    der: Vec<u8>,
    key: RsaKeyPair,
}

impl Signer {
    fn new(cert_pem: &str, key_pem: &str) -> Self {
        let der = CertificateDer::from_pem_slice(cert_pem.as_bytes())
            .unwrap()
            .to_vec();
        let key = PrivatePkcs8KeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
        Self {
            der,
            key: RsaKeyPair::from_pkcs8(key.secret_pkcs8_der()).unwrap(),
        }
    }

    fn registered() -> Self {
        Self::new(tls::APP_CERT_TEST_PEM, tls::APP_CERT_TEST_KEY_PEM)
    }

    fn unregistered() -> Self {
        Self::new(tls::OTHER_CERT_TEST_PEM, tls::OTHER_CERT_TEST_KEY_PEM)
    }

    fn x5t_s256(&self) -> String {
        URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, &self.der))
    }

    fn x5t(&self) -> String {
        URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            &self.der,
        ))
    }

    /// A compact JWS of `header` and `claims`, signed with this key by the header's `alg`.
    fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let padding: &'static dyn ring::signature::RsaEncoding = match header["alg"].as_str() {
            Some("PS256") => &RSA_PSS_SHA256,
            _ => &RSA_PKCS1_SHA256,
        };
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                padding,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The claims a client puts in an assertion for `client` at `aud`.
fn good_claims(client: &str, aud: &str) -> Value {
    let now = now();
    json!({
        "aud": aud,
        "iss": client,
        "sub": client,
        "jti": uuid_like(),
        "nbf": now,
        "iat": now,
        "exp": now + 600,
    })
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("jti-{}-{}", now(), NEXT.fetch_add(1, Ordering::Relaxed))
}

async fn provider() -> Emulator {
    Emulator::builder()
        .app(App::new(CERT_APP).with_certificate(tls::APP_CERT_TEST_PEM))
        .app(
            App::confidential(BOTH_APP, "unused~secret", &[ROLE])
                .accepting_assertions()
                .with_certificate(tls::APP_CERT_TEST_PEM),
        )
        .start()
        .await
        .unwrap()
}

/// Asks for an app-only Graph token with this assertion: (status, body).
async fn exchange(graph: &Emulator, tenant: &str, client: &str, assertion: &str) -> (u16, Value) {
    let response = crate::common::client()
        .post(token_url(graph, tenant))
        .form_pairs(&[
            ("grant_type", "client_credentials"),
            ("client_id", client),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Expects Entra's 401 `invalid_client` with this AADSTS code; returns the description.
fn refused(answer: &(u16, Value), code: u64) -> String {
    let (status, body) = answer;
    assert_eq!(*status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client", "{body}");
    assert_eq!(aadsts(body), code, "{body}");
    body["error_description"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_registered_certificate_signs_in_with_rs256_or_ps256_by_either_thumbprint() {
    let graph = provider().await;
    let signer = Signer::registered();
    let aud = token_url(&graph, EMULATOR_TENANT);
    for header in [
        json!({"alg": "RS256", "typ": "JWT", "x5t#S256": signer.x5t_s256()}),
        json!({"alg": "PS256", "typ": "JWT", "x5t#S256": signer.x5t_s256()}),
        json!({"alg": "RS256", "typ": "JWT", "x5t": signer.x5t()}),
        json!({"alg": "PS256", "x5t": signer.x5t(), "x5t#S256": signer.x5t_s256()}),
    ] {
        let assertion = signer.sign(&header, &good_claims(CERT_APP, &aud));
        let (status, body) = exchange(&graph, EMULATOR_TENANT, CERT_APP, &assertion).await;
        assert_eq!(status, 200, "{header}: {body}");
        let token = claims(body["access_token"].as_str().unwrap());
        assert_eq!(token["appid"], CERT_APP);
        assert_eq!(token["idtyp"], "app");
        assert!(body.get("refresh_token").is_none());
    }
    // The app with a role gets it, by certificate as by secret.
    let assertion = signer.sign(
        &json!({"alg": "RS256", "x5t#S256": signer.x5t_s256()}),
        &good_claims(BOTH_APP, &aud),
    );
    let (status, body) = exchange(&graph, EMULATOR_TENANT, BOTH_APP, &assertion).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["roles"],
        json!([ROLE])
    );
}

#[tokio::test]
async fn the_audience_is_the_token_endpoint_by_any_name_of_the_tenant_and_loopback() {
    let graph = provider().await;
    let signer = Signer::registered();
    let header = json!({"alg": "RS256", "x5t#S256": signer.x5t_s256()});
    let host = graph.authority_host();
    let localhost = host.replace("127.0.0.1", "localhost");
    for (path_tenant, aud) in [
        // Discovery by domain names the endpoints by tenant id: both are the same endpoint.
        (
            EMULATOR_TENANT_DOMAIN,
            format!("{host}/{EMULATOR_TENANT}/oauth2/v2.0/token"),
        ),
        (
            EMULATOR_TENANT_DOMAIN,
            format!("{host}/{EMULATOR_TENANT_DOMAIN}/oauth2/v2.0/token"),
        ),
        (
            EMULATOR_TENANT,
            format!("{localhost}/{EMULATOR_TENANT}/oauth2/v2.0/token"),
        ),
        (
            "organizations",
            format!("{host}/organizations/oauth2/v2.0/token"),
        ),
    ] {
        let assertion = signer.sign(&header, &good_claims(CERT_APP, &aud));
        let (status, body) = exchange(&graph, path_tenant, CERT_APP, &assertion).await;
        assert_eq!(status, 200, "{path_tenant} {aud}: {body}");
    }
}

#[tokio::test]
async fn unregistered_certificates_and_bad_signatures_are_700027() {
    let graph = provider().await;
    let aud = token_url(&graph, EMULATOR_TENANT);
    let registered = Signer::registered();
    let other = Signer::unregistered();

    // A certificate the app does not have.
    let assertion = other.sign(
        &json!({"alg": "RS256", "x5t#S256": other.x5t_s256()}),
        &good_claims(CERT_APP, &aud),
    );
    let text = refused(
        &exchange(&graph, EMULATOR_TENANT, CERT_APP, &assertion).await,
        700_027,
    );
    assert!(text.contains("The key was not found"), "{text}");
    let printed = ring::digest::digest(&ring::digest::SHA256, &other.der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<String>();
    assert!(text.contains(&printed), "the thumbprint is named: {text}");

    // The registered certificate's thumbprint, another key's signature.
    let forged = other.sign(
        &json!({"alg": "RS256", "x5t#S256": registered.x5t_s256()}),
        &good_claims(CERT_APP, &aud),
    );
    let text = refused(
        &exchange(&graph, EMULATOR_TENANT, CERT_APP, &forged).await,
        700_027,
    );
    assert!(text.contains("invalid signature"), "{text}");

    // A good assertion with one claim changed after signing.
    let good = registered.sign(
        &json!({"alg": "RS256", "x5t#S256": registered.x5t_s256()}),
        &good_claims(CERT_APP, &aud),
    );
    let parts: Vec<&str> = good.split('.').collect();
    let mut changed = good_claims(CERT_APP, &aud);
    changed["exp"] = json!(now() + 86_400);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(changed.to_string()),
        parts[2]
    );
    refused(
        &exchange(&graph, EMULATOR_TENANT, CERT_APP, &tampered).await,
        700_027,
    );
    // RS256 signature presented as PS256.
    let swapped = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD
            .encode(json!({"alg": "PS256", "x5t#S256": registered.x5t_s256()}).to_string()),
        parts[1],
        parts[2]
    );
    refused(
        &exchange(&graph, EMULATOR_TENANT, CERT_APP, &swapped).await,
        700_027,
    );
    // An algorithm Entra does not take for certificates, and no algorithm at all.
    for header in [
        json!({"alg": "HS256", "x5t#S256": registered.x5t_s256()}),
        json!({"alg": "none", "x5t#S256": registered.x5t_s256()}),
        json!({"x5t#S256": registered.x5t_s256()}),
    ] {
        let assertion = registered.sign(&header, &good_claims(CERT_APP, &aud));
        refused(
            &exchange(&graph, EMULATOR_TENANT, CERT_APP, &assertion).await,
            700_027,
        );
    }
    // The right key, but the header names no certificate.
    let unnamed = registered.sign(&json!({"alg": "RS256"}), &good_claims(CERT_APP, &aud));
    refused(
        &exchange(&graph, EMULATOR_TENANT, CERT_APP, &unnamed).await,
        700_027,
    );
    // The good one still works: nothing above was refused for another reason.
    let (status, body) = exchange(&graph, EMULATOR_TENANT, CERT_APP, &good).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn expired_and_not_yet_valid_assertions_are_700024() {
    let graph = provider().await;
    let signer = Signer::registered();
    let aud = token_url(&graph, EMULATOR_TENANT);
    let header = json!({"alg": "PS256", "x5t#S256": signer.x5t_s256()});
    let now = now();
    for (nbf, exp) in [
        (now - 7200, now - 3600), // expired an hour ago
        (now + 3600, now + 7200), // valid only in an hour
    ] {
        let mut claims = good_claims(CERT_APP, &aud);
        claims["nbf"] = json!(nbf);
        claims["exp"] = json!(exp);
        let text = refused(
            &exchange(
                &graph,
                EMULATOR_TENANT,
                CERT_APP,
                &signer.sign(&header, &claims),
            )
            .await,
            700_024,
        );
        assert!(text.contains("not within its valid time range"), "{text}");
    }
    // Within Entra's five minutes of clock skew: accepted.
    let mut skewed = good_claims(CERT_APP, &aud);
    skewed["nbf"] = json!(now + 60);
    skewed["exp"] = json!(now + 660);
    let (status, body) = exchange(
        &graph,
        EMULATOR_TENANT,
        CERT_APP,
        &signer.sign(&header, &skewed),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Just expired: inside the default skew, outside a skew of zero.
    let mut just_expired = good_claims(CERT_APP, &aud);
    just_expired["nbf"] = json!(now - 60);
    just_expired["exp"] = json!(now - 2);
    let assertion = signer.sign(&header, &just_expired);
    assert_eq!(
        exchange(&graph, EMULATOR_TENANT, CERT_APP, &assertion)
            .await
            .0,
        200
    );
    let strict = Emulator::builder()
        .app(App::new(CERT_APP).with_certificate(tls::APP_CERT_TEST_PEM))
        .assertion_clock_skew(std::time::Duration::ZERO)
        .start()
        .await
        .unwrap();
    let aud_strict = token_url(&strict, EMULATOR_TENANT);
    just_expired["aud"] = json!(aud_strict);
    refused(
        &exchange(
            &strict,
            EMULATOR_TENANT,
            CERT_APP,
            &signer.sign(&header, &just_expired),
        )
        .await,
        700_024,
    );
    // NumericDates with a fraction (msal sends them): read as such, in range or not.
    let mut fractional = good_claims(CERT_APP, &aud);
    fractional["nbf"] = json!(now as f64 + 0.25);
    fractional["exp"] = json!(now as f64 + 600.75);
    let (status, body) = exchange(
        &graph,
        EMULATOR_TENANT,
        CERT_APP,
        &signer.sign(&header, &fractional),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    fractional["exp"] = json!(now as f64 - 3600.5);
    refused(
        &exchange(
            &graph,
            EMULATOR_TENANT,
            CERT_APP,
            &signer.sign(&header, &fractional),
        )
        .await,
        700_024,
    );
}

#[tokio::test]
async fn wrong_audience_issuer_subject_or_missing_claims_are_refused() {
    let graph = provider().await;
    let signer = Signer::registered();
    let header = json!({"alg": "RS256", "x5t#S256": signer.x5t_s256()});
    let aud = token_url(&graph, EMULATOR_TENANT);
    let send = |claims: Value| {
        let assertion = signer.sign(&header, &claims);
        let graph = &graph;
        async move { exchange(graph, EMULATOR_TENANT, CERT_APP, &assertion).await }
    };

    // Another authority's token endpoint, another tenant, the issuer, no audience.
    for wrong in [
        json!("https://login.microsoftonline.com/common/oauth2/v2.0/token"),
        json!(format!(
            "{}/common/oauth2/v2.0/token",
            graph.authority_host()
        )),
        json!(format!("{}/{EMULATOR_TENANT}/v2.0", graph.authority_host())),
        json!(null),
    ] {
        let mut claims = good_claims(CERT_APP, &aud);
        claims["aud"] = wrong.clone();
        let text = refused(&send(claims).await, 50_012);
        assert!(text.contains("audience"), "{wrong}: {text}");
    }
    // One audience only, as Entra requires (one-element arrays are fine).
    let mut claims = good_claims(CERT_APP, &aud);
    claims["aud"] = json!([aud, "https://example.invalid/"]);
    refused(&send(claims).await, 5_002_741);
    let mut claims = good_claims(CERT_APP, &aud);
    claims["aud"] = json!([aud]);
    assert_eq!(send(claims).await.0, 200);

    // iss and sub must both be the client.
    for claim in ["iss", "sub"] {
        let mut claims = good_claims(CERT_APP, &aud);
        claims[claim] = json!(BOTH_APP);
        refused(&send(claims).await, 700_021);
        let mut claims = good_claims(CERT_APP, &aud);
        claims.as_object_mut().unwrap().remove(claim);
        refused(&send(claims).await, 700_021);
    }
    // jti and exp are required.
    for claim in ["jti", "exp"] {
        let mut claims = good_claims(CERT_APP, &aud);
        claims.as_object_mut().unwrap().remove(claim);
        let text = refused(&send(claims).await, 50_027);
        assert!(text.contains(claim), "{text}");
    }
    // Malformed assertions never get far.
    for junk in ["", "not-a-jwt", "a.b.c", "e30.e30.e30.e30"] {
        let answer = exchange(&graph, EMULATOR_TENANT, CERT_APP, junk).await;
        // An empty assertion is no assertion (the form's value is empty).
        let code = if junk.is_empty() { 7_000_218 } else { 50_027 };
        refused(&answer, code);
    }
}

#[tokio::test]
async fn unsigned_assertions_reach_only_apps_that_accept_them() {
    let graph = provider().await;
    let aud = token_url(&graph, EMULATOR_TENANT);
    let unsigned = |client: &str| graph_emulator::token::unsigned_jwt(&good_claims(client, &aud));
    // Certificates only: an unsigned assertion names no key.
    refused(
        &exchange(&graph, EMULATOR_TENANT, CERT_APP, &unsigned(CERT_APP)).await,
        700_027,
    );
    // Certificates and federated credentials: the unsigned one is a federated assertion...
    let (status, body) = exchange(&graph, EMULATOR_TENANT, BOTH_APP, &unsigned(BOTH_APP)).await;
    assert_eq!(status, 200, "{body}");
    // ... but one that names a certificate is verified in full.
    let other = Signer::unregistered();
    let forged = other.sign(
        &json!({"alg": "RS256", "x5t#S256": Signer::registered().x5t_s256()}),
        &good_claims(BOTH_APP, &aud),
    );
    refused(
        &exchange(&graph, EMULATOR_TENANT, BOTH_APP, &forged).await,
        700_027,
    );
    // The wrong assertion type is refused for certificate apps too.
    let signer = Signer::registered();
    let good = signer.sign(
        &json!({"alg": "RS256", "x5t#S256": signer.x5t_s256()}),
        &good_claims(CERT_APP, &aud),
    );
    let response = crate::common::client()
        .post(token_url(&graph, EMULATOR_TENANT))
        .form_pairs(&[
            ("grant_type", "client_credentials"),
            ("client_id", CERT_APP),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
            ),
            ("client_assertion", good.as_str()),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    refused(&(status, response.json().await.unwrap()), 700_027);
}

#[tokio::test]
async fn certificates_register_through_the_seed_json_as_pem_or_base64_der() {
    let der = CertificateDer::from_pem_slice(tls::APP_CERT_TEST_PEM.as_bytes()).unwrap();
    let seed = Seed::from_json(
        &json!({
            "apps": [
                {"clientId": CERT_APP, "certificates": [STANDARD.encode(&der)]},
                {"clientId": BOTH_APP, "certificates": [tls::APP_CERT_TEST_PEM]},
            ]
        })
        .to_string(),
    )
    .unwrap();
    let graph = Emulator::builder().seed(seed).start().await.unwrap();
    let signer = Signer::registered();
    let aud = token_url(&graph, EMULATOR_TENANT);
    for client in [CERT_APP, BOTH_APP] {
        let assertion = signer.sign(
            &json!({"alg": "RS256", "x5t#S256": signer.x5t_s256()}),
            &good_claims(client, &aud),
        );
        let (status, body) = exchange(&graph, EMULATOR_TENANT, client, &assertion).await;
        assert_eq!(status, 200, "{client}: {body}");
    }

    // An unusable certificate stops the emulator from starting, with a clear error.
    for junk in ["not a certificate", tls::APP_CERT_TEST_KEY_PEM] {
        let err = Emulator::builder()
            .app(App::new(CERT_APP).with_certificate(junk))
            .start()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Seed(_)), "{err}");
        assert!(err.to_string().contains("certificate 1"), "{err}");
    }
    // The app's Debug shows how many certificates, not their text.
    let app = App::new(CERT_APP).with_certificate(tls::APP_CERT_TEST_PEM);
    assert!(format!("{app:?}").contains("certificates: 1"));
}
