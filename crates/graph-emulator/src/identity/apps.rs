//! App registrations: who may ask the identity provider for tokens, and what for.

use serde::{Deserialize, Serialize};

/// An app registration in the emulated tenant.
///
/// App-only tokens (client credentials) carry `app_roles` as `roles`; delegated tokens (device
/// code, browser sign-in) carry, as `scp`, the requested scopes the app has consent for
/// (`delegated_scopes`; all of them for `/.default`).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct App {
    /// The application (client) id.
    pub client_id: String,
    /// A display name (for messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Client secrets that authenticate the app (confidential clients).
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Whether an *unsigned* client assertion (a JWT with `iss` and `sub` = the client id and an
    /// `exp` in the future; its signature is not checked) authenticates the app: federated
    /// (workload-identity) credentials. An assertion that names one of `certificates` (header
    /// `x5t#S256` or `x5t`) is verified in full either way.
    #[serde(default)]
    pub accepts_assertions: bool,
    /// Certificates registered for the app (Entra's `keyCredentials`): each a PEM `CERTIFICATE`
    /// block, or the base64 of its DER (as Graph's `keyCredential.key`). A client assertion whose
    /// header names one of them by thumbprint (`x5t#S256`: SHA-256, `x5t`: SHA-1, base64url) and
    /// that it signs (RS256 or PS256) authenticates the app; see
    /// [`Identity`](crate::Identity) for every check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<String>,
    /// Application permissions granted (admin consent): `roles` of its app-only tokens.
    #[serde(default)]
    pub app_roles: Vec<String>,
    /// Delegated permissions consented: what `scp` of a user's token may hold.
    #[serde(default)]
    pub delegated_scopes: Vec<String>,
    /// Whether the app is a public client (device-code sign-in needs one; browser sign-in may
    /// then redirect to any loopback URI).
    #[serde(default)]
    pub public_client: bool,
    /// Redirect URIs registered for browser sign-in (authorization code). A public client may
    /// also use any loopback URI (`http://localhost[:port][/path]`, `http://127.0.0.1…`)
    /// unregistered; a registered loopback URI matches on any port.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redirect_uris: Vec<String>,
}

impl App {
    /// A registration with only a client id.
    pub fn new(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            ..Self::default()
        }
    }

    /// A confidential client with this secret and these application permissions.
    pub fn confidential(
        client_id: impl Into<String>,
        secret: impl Into<String>,
        app_roles: &[&str],
    ) -> Self {
        Self {
            secrets: vec![secret.into()],
            app_roles: app_roles.iter().map(|r| (*r).to_owned()).collect(),
            ..Self::new(client_id)
        }
    }

    /// A public client (device code) with consent for these delegated permissions.
    pub fn public(client_id: impl Into<String>, delegated_scopes: &[&str]) -> Self {
        Self {
            public_client: true,
            delegated_scopes: delegated_scopes.iter().map(|s| (*s).to_owned()).collect(),
            ..Self::new(client_id)
        }
    }

    /// Sets the display name.
    #[must_use]
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Registers a redirect URI for browser sign-in.
    #[must_use]
    pub fn with_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uris.push(uri.into());
        self
    }

    /// Lets unsigned client assertions (federated credentials) authenticate the app.
    #[must_use]
    pub fn accepting_assertions(mut self) -> Self {
        self.accepts_assertions = true;
        self
    }

    /// Registers a certificate (PEM, or base64 DER) whose key may sign the app's client
    /// assertions. Checked when the emulator starts (an unusable one is [`Error::Seed`](crate::Error::Seed)).
    #[must_use]
    pub fn with_certificate(mut self, certificate: impl Into<String>) -> Self {
        self.certificates.push(certificate.into());
        self
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("client_id", &self.client_id)
            .field("display_name", &self.display_name)
            .field(
                "secrets",
                &format_args!("<{} redacted>", self.secrets.len()),
            )
            .field("accepts_assertions", &self.accepts_assertions)
            .field("certificates", &self.certificates.len())
            .field("app_roles", &self.app_roles)
            .field("delegated_scopes", &self.delegated_scopes)
            .field("public_client", &self.public_client)
            .field("redirect_uris", &self.redirect_uris)
            .finish()
    }
}
