//! [`CertificateCredential`]: app-only sign-in (client credentials) with a certificate, as
//! Microsoft recommends over client secrets, without OpenSSL.
//!
//! For each token request the credential makes a new client assertion (RFC 7523: a JWT with
//! `aud` = the token endpoint, `iss` = `sub` = the client id, a fresh `jti`, `iat`/`nbf` = now,
//! `exp` = now + [lifetime](CertificateCredentialBuilder::assertion_lifetime)), signs it with the
//! certificate's key ([`ClientCertificate`]: `ring`, PS256 with `x5t#S256` by default, or RS256
//! with `x5t`), and posts it to Entra ID's token endpoint through this crate's reqwest client
//! (`grant_type=client_credentials`,
//! `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`). A
//! [`TokenCache`] in front reuses the token until shortly before it expires. Entra's refusals
//! (an unregistered certificate is AADSTS700027, an expired assertion AADSTS700024) come back as
//! [`CredentialError`]s with [`EntraError`](super::EntraError) details; the assertion itself is
//! in no message, log or `Debug` output.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::authority::Authority;
use super::client_certificate::{AssertionAlgorithm, ClientCertificate};
use super::{
    AccessToken, Credential, CredentialError, CredentialErrorKind, EntraError, TokenCache,
    TokenFuture, TokenRequest,
};
use crate::cloud::Cloud;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid by default (as MSAL's).
pub const DEFAULT_ASSERTION_LIFETIME: Duration = Duration::from_secs(600);

/// The sign-in itself, behind the cache.
struct Flow {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    certificate: ClientCertificate,
    algorithm: AssertionAlgorithm,
    lifetime: Duration,
    send_chain: bool,
}

impl fmt::Debug for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateFlow")
            .field("client_id", &self.client_id)
            .field("token_url", &self.token_url)
            .field("certificate", &self.certificate)
            .field("algorithm", &self.algorithm)
            .field("assertion_lifetime", &self.lifetime)
            .field("send_certificate_chain", &self.send_chain)
            .finish_non_exhaustive()
    }
}

/// The body of a form POST: `name=value&…`, percent-encoded.
fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| {
            format!(
                "{}={}",
                utf8_percent_encode(name, NON_ALPHANUMERIC),
                utf8_percent_encode(value, NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl Flow {
    /// A new client assertion, signed.
    fn assertion(&self) -> Result<String, CredentialError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = serde_json::json!({
            "aud": self.token_url,
            "iss": self.client_id,
            "sub": self.client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "iat": now,
            "nbf": now,
            "exp": now + self.lifetime.as_secs(),
        });
        self.certificate
            .sign(self.algorithm, &claims, self.send_chain)
    }

    async fn token(&self, request: &TokenRequest) -> Result<AccessToken, CredentialError> {
        let doing = format!(
            "signing in with a certificate for client {}",
            self.client_id
        );
        let assertion = self.assertion()?;
        let scope = request.scopes.join(" ");
        let mut fields = vec![
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("scope", scope.as_str()),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion.as_str()),
        ];
        if let Some(claims) = &request.claims {
            fields.push(("claims", claims.as_str()));
        }
        tracing::debug!(
            client_id = %self.client_id,
            thumbprint = %self.certificate.sha256_thumbprint(),
            algorithm = self.algorithm.name(),
            "requesting an app-only token with a certificate assertion"
        );
        let unreachable = |cause: String| {
            CredentialError::of_kind(
                CredentialErrorKind::Transport,
                format!("{doing}: the token endpoint could not be reached ({cause})"),
            )
        };
        let response = self
            .http
            .post(&self.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(form_body(&fields))
            .send()
            .await
            .map_err(|e| unreachable(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| unreachable(e.without_url().to_string()))?;
        if !status.is_success() {
            return Err(match EntraError::parse(&body) {
                Some(entra) => CredentialError::entra(doing, entra),
                None => CredentialError::of_kind(
                    CredentialErrorKind::Transport,
                    format!("{doing}: the token endpoint answered {status} without an error body"),
                ),
            });
        }
        read_token(&body).ok_or_else(|| {
            CredentialError::of_kind(
                CredentialErrorKind::Transport,
                format!(
                    "{doing}: the token endpoint answered something that is not a token response"
                ),
            )
        })
    }
}

/// `{"access_token": "…", "expires_in": 3599, …}` (`expires_in` a number or, from older
/// endpoints, a string).
fn read_token(body: &[u8]) -> Option<AccessToken> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let secret = value.get("access_token")?.as_str()?;
    let mut token = AccessToken::new(secret);
    let lifetime = value.get("expires_in").and_then(|e| {
        e.as_u64()
            .or_else(|| e.as_str().and_then(|s| s.parse().ok()))
    });
    if let Some(seconds) = lifetime {
        token = token.with_expires_on(SystemTime::now() + Duration::from_secs(seconds));
    }
    Some(token)
}

impl Credential for Flow {
    fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        Box::pin(Flow::token(self, request))
    }
}

/// App-only sign-in (client credentials) with a certificate registered for the app.
///
/// Each token request carries a new client assertion signed with the certificate's key
/// ([`ClientCertificate`]; PS256 with `x5t#S256` by default, or RS256 with `x5t`): `aud` = the
/// token endpoint, `iss` = `sub` = the client id, a fresh `jti`, `nbf`/`iat` = now and `exp` =
/// now + [the assertion lifetime](CertificateCredentialBuilder::assertion_lifetime). A
/// [`TokenCache`] in front reuses the token until shortly before it expires. Entra's refusals
/// (an unregistered certificate is AADSTS700027, an expired assertion AADSTS700024) are
/// [`CredentialError`]s with [`EntraError`] details; the assertion and the key are in no
/// message, log or `Debug` output.
///
/// ```no_run
/// use graph_core::{CertificateCredential, ClientCertificate, CoreClient};
///
/// # fn run() -> Result<(), graph_core::Error> {
/// let pem = std::fs::read("app.pem").map_err(|e| {
///     graph_core::Error::Credential(graph_core::CredentialError::with_source("reading app.pem", e))
/// })?;
/// let certificate = ClientCertificate::from_pem_bundle(&pem).map_err(graph_core::Error::Credential)?;
/// let credential = CertificateCredential::builder(
///     "contoso.onmicrosoft.com",
///     "11111111-2222-3333-4444-555555555555",
///     certificate,
/// )
/// .build()
/// .map_err(graph_core::Error::Credential)?;
/// let client = CoreClient::new(credential);
/// # let _ = client; Ok(())
/// # }
/// ```
pub struct CertificateCredential {
    cache: TokenCache<Flow>,
}

impl CertificateCredential {
    /// A builder for the app `client_id` of `tenant` (a tenant id or domain), signing in with
    /// `certificate` (registered for the app).
    pub fn builder(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        certificate: ClientCertificate,
    ) -> CertificateCredentialBuilder {
        CertificateCredentialBuilder {
            tenant: tenant.into(),
            client_id: client_id.into(),
            certificate,
            cloud: Cloud::Global,
            authority_host: None,
            algorithm: AssertionAlgorithm::default(),
            lifetime: DEFAULT_ASSERTION_LIFETIME,
            send_chain: false,
            http: None,
        }
    }
}

impl Credential for CertificateCredential {
    fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        self.cache.token(request)
    }

    fn token_now(&self, request: &TokenRequest) -> Option<AccessToken> {
        self.cache.token_now(request)
    }
}

impl fmt::Debug for CertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateCredential")
            .field("cache", &self.cache)
            .finish()
    }
}

/// Configures a [`CertificateCredential`].
#[must_use]
pub struct CertificateCredentialBuilder {
    tenant: String,
    client_id: String,
    certificate: ClientCertificate,
    cloud: Cloud,
    authority_host: Option<String>,
    algorithm: AssertionAlgorithm,
    lifetime: Duration,
    send_chain: bool,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for CertificateCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateCredentialBuilder")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("certificate", &self.certificate)
            .field("cloud", &self.cloud)
            .field("authority_host", &self.authority_host)
            .field("algorithm", &self.algorithm)
            .field("assertion_lifetime", &self.lifetime)
            .field("send_certificate_chain", &self.send_chain)
            .finish_non_exhaustive()
    }
}

impl CertificateCredentialBuilder {
    /// Signs in where `cloud` signs in (`login.microsoftonline.us` for the US Government
    /// clouds, `login.chinacloudapi.cn` for China); default global.
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.cloud = cloud;
        self
    }

    /// Signs in at this host instead (`https://…`, or plain `http://` on this machine's
    /// loopback, such as the emulator's identity provider).
    pub fn authority_host(mut self, host: impl Into<String>) -> Self {
        self.authority_host = Some(host.into());
        self
    }

    /// How assertions are signed (default [`AssertionAlgorithm::Ps256`]).
    pub fn algorithm(mut self, algorithm: AssertionAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// How long each assertion is valid (`exp` − `nbf`; default 10 minutes). Each token request
    /// makes a new one, so a short lifetime costs nothing; whole seconds count, and an
    /// assertion with a lifetime under one second expires as it is made (Entra's clock skew of a
    /// few minutes may still accept it).
    pub fn assertion_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Sends the certificate chain in the assertion header (`x5c`), which Entra needs for
    /// *subject name and issuer* authentication (a certificate trusted by name instead of
    /// registered by thumbprint); default off.
    pub fn send_certificate_chain(mut self, send: bool) -> Self {
        self.send_chain = send;
        self
    }

    /// Sends the token requests through this client (for a proxy, or a local identity
    /// provider's certificate); default: a new one with rustls.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the settings and builds the credential (nothing is sent until a token is needed).
    ///
    /// # Errors
    ///
    /// A [`CredentialError`] for an authority that is not HTTPS (except loopback), a custom
    /// cloud without an authority host, an empty client id, or no TLS provider.
    pub fn build(self) -> Result<CertificateCredential, CredentialError> {
        if self.client_id.trim().is_empty() {
            return Err(CredentialError::new(
                "the certificate credential needs a client id",
            ));
        }
        let authority = Authority::new(self.authority_host.as_deref(), &self.cloud, &self.tenant)?;
        Ok(CertificateCredential {
            cache: TokenCache::new(Flow {
                http: super::http::sign_in_client(self.http)?,
                token_url: authority.endpoint("token"),
                client_id: self.client_id,
                certificate: self.certificate,
                algorithm: self.algorithm,
                lifetime: self.lifetime,
                send_chain: self.send_chain,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_are_percent_encoded() {
        assert_eq!(
            form_body(&[
                ("scope", "https://graph.microsoft.com/.default"),
                ("a b", "x&y=z")
            ]),
            "scope=https%3A%2F%2Fgraph%2Emicrosoft%2Ecom%2F%2Edefault&a%20b=x%26y%3Dz"
        );
    }

    #[test]
    fn token_answers_are_read_or_refused() {
        let token = read_token(br#"{"access_token":"t","expires_in":3599}"#).unwrap();
        assert_eq!(token.secret(), "t");
        assert!(token.expires_on().is_some());
        let legacy = read_token(br#"{"access_token":"t","expires_in":"3599"}"#).unwrap();
        assert!(legacy.expires_on().is_some());
        assert!(
            read_token(br#"{"access_token":"t"}"#)
                .unwrap()
                .expires_on()
                .is_none()
        );
        for junk in [
            &b"<html>"[..],
            br#"{"token":"t"}"#,
            br#"{"access_token":1}"#,
            b"",
        ] {
            assert!(read_token(junk).is_none());
        }
    }
}
