//! Serving HTTPS: for clients that refuse a plain-http authority (`azure_identity` does), and for
//! TLS tests.
//!
//! [`EmulatorBuilder::https`](crate::EmulatorBuilder::https) serves with the built-in test
//! identity below: a certificate for `localhost` and `127.0.0.1`, signed by a test CA, both valid
//! from 2000 to 2126 so no clock makes them expired. A client trusts it by adding [`TEST_CA_PEM`]
//! as a root (for reqwest: `Certificate::from_pem`, `add_root_certificate`). The key is public: it
//! protects nothing and must never be trusted outside tests. The same holds for
//! [`TOKEN_SIGNING_TEST_KEY_PEM`], the identity provider's token-signing key.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::Error;

/// The test CA that signed [`TEST_CERT_PEM`]: trust it in the client under test.
pub const TEST_CA_PEM: &str = include_str!("../tls/test-ca.pem");
/// The emulator's built-in certificate, for `localhost` and `127.0.0.1`.
pub const TEST_CERT_PEM: &str = include_str!("../tls/localhost.pem");
/// The built-in certificate's private key (a test fixture: public, protects nothing).
pub const TEST_KEY_PEM: &str = include_str!("../tls/localhost.key");
/// The identity provider's token-signing key: a 2048-bit RSA key (PKCS#8 PEM) that signs the
/// `id_token`s and access tokens it issues with RS256, published (public half) at its JWKS
/// endpoint. A test fixture like the others: public, protects nothing, never trust it elsewhere.
pub const TOKEN_SIGNING_TEST_KEY_PEM: &str = include_str!("../tls/token-signing-test-key.pem");
/// An app's client certificate (self-signed, RSA 2048): register it with
/// [`App::with_certificate`](crate::App::with_certificate) and sign client assertions with
/// [`APP_CERT_TEST_KEY_PEM`] (certificate sign-in tests). A public test fixture.
pub const APP_CERT_TEST_PEM: &str = include_str!("../tls/app-cert-test.pem");
/// The private key of [`APP_CERT_TEST_PEM`] (PKCS#8 PEM).
pub const APP_CERT_TEST_KEY_PEM: &str = include_str!("../tls/app-cert-test.key");
/// [`APP_CERT_TEST_PEM`] and its key as PKCS#12, protected by [`APP_CERT_TEST_P12_PASSWORD`]
/// (AES-256-CBC, PBKDF2, SHA-256 MAC: OpenSSL 3's defaults).
pub const APP_CERT_TEST_P12: &[u8] = include_bytes!("../tls/app-cert-test.p12");
/// The password of [`APP_CERT_TEST_P12`].
pub const APP_CERT_TEST_P12_PASSWORD: &str = "graph-beta-test";
/// A second client certificate that no app registers: assertions it signs are refused.
pub const OTHER_CERT_TEST_PEM: &str = include_str!("../tls/other-cert-test.pem");
/// The private key of [`OTHER_CERT_TEST_PEM`] (PKCS#8 PEM).
pub const OTHER_CERT_TEST_KEY_PEM: &str = include_str!("../tls/other-cert-test.key");

/// A TLS acceptor for a PEM certificate chain and key, with the `ring` provider (set
/// explicitly, so it works whatever provider the process installed).
pub(crate) fn acceptor(cert_pem: &str, key_pem: &str) -> Result<tokio_rustls::TlsAcceptor, Error> {
    let bad = |what: &str, e: &dyn std::fmt::Display| Error::Tls(format!("{what}: {e}"));
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| bad("the certificate is not PEM", &e))?;
    if certs.is_empty() {
        return Err(Error::Tls("no certificate in the PEM text".to_owned()));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| bad("the key is not PEM", &e))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| bad("TLS versions", &e))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| bad("the certificate and key do not fit", &e))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
