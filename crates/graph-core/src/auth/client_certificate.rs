//! [`ClientCertificate`]: an app's certificate and RSA private key, read from PEM (or PKCS#12
//! with the `pkcs12` feature) in pure Rust, that signs client assertions with `ring`.
//!
//! The key never leaves this type: `Debug` shows the certificate's thumbprint, and no error
//! quotes the key text.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RSA_PSS_SHA256, RsaEncoding, RsaKeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{CredentialError, CredentialErrorKind};

/// How a client assertion is signed, and which thumbprint its header carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AssertionAlgorithm {
    /// `PS256` (RSASSA-PSS, SHA-256) with the certificate's SHA-256 thumbprint as `x5t#S256`:
    /// what Microsoft recommends and MSAL sends (the default).
    #[default]
    Ps256,
    /// `RS256` (RSASSA-PKCS1-v1_5, SHA-256) with the SHA-1 thumbprint as `x5t`: the older form,
    /// for identity providers that only know it (AD FS).
    Rs256,
}

impl AssertionAlgorithm {
    /// The JWS `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ps256 => "PS256",
            Self::Rs256 => "RS256",
        }
    }
}

fn certificate_error(message: impl Into<String>) -> CredentialError {
    CredentialError::of_kind(CredentialErrorKind::Certificate, message)
}

/// An app's client certificate with its private key (RSA, 2048 bits or more), ready to sign
/// client assertions. Cheap to clone (shared).
///
/// ```no_run
/// use graph_core::ClientCertificate;
///
/// # fn run() -> Result<(), graph_core::CredentialError> {
/// let pem = std::fs::read("app.pem").map_err(|e| graph_core::CredentialError::with_source("reading app.pem", e))?;
/// // A file with both blocks (CERTIFICATE and PRIVATE KEY), as `openssl req -x509 -nodes` writes
/// // them when asked to, or as azure-identity takes it; `from_pem` takes them apart.
/// let certificate = ClientCertificate::from_pem_bundle(&pem)?;
/// println!("register the certificate with thumbprint {}", certificate.sha1_thumbprint());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientCertificate(Arc<Inner>);

struct Inner {
    /// The leaf first, then any chain that came with it (for `x5c`).
    chain: Vec<CertificateDer<'static>>,
    key: RsaKeyPair,
    sha256: Vec<u8>,
    sha1: Vec<u8>,
    rng: SystemRandom,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

impl ClientCertificate {
    /// A certificate (PEM: one or more `CERTIFICATE` blocks, the app's own first, then its
    /// chain) and its private key (PEM: `PRIVATE KEY`, PKCS#8, or `RSA PRIVATE KEY`, PKCS#1).
    ///
    /// # Errors
    ///
    /// A [`CredentialErrorKind::Certificate`] error when either is not PEM, the key is
    /// encrypted, not RSA, shorter than 2048 bits, or not the key of the certificate.
    pub fn from_pem(
        certificate: impl AsRef<[u8]>,
        key: impl AsRef<[u8]>,
    ) -> Result<Self, CredentialError> {
        let chain = CertificateDer::pem_slice_iter(certificate.as_ref())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                certificate_error(format!("the certificate PEM text could not be read ({e})"))
            })?;
        Self::new(chain, read_pem_key(key.as_ref())?)
    }

    /// A certificate and its private key from one PEM text holding both (a `.pem` with the
    /// `CERTIFICATE` and `PRIVATE KEY` blocks, as `azure-identity`'s certificate credential
    /// takes); see [`from_pem`](Self::from_pem).
    ///
    /// # Errors
    ///
    /// As [`from_pem`](Self::from_pem).
    pub fn from_pem_bundle(pem: impl AsRef<[u8]>) -> Result<Self, CredentialError> {
        Self::from_pem(pem.as_ref(), pem.as_ref())
    }

    /// A certificate and its private key from a PKCS#12 (`.pfx`, `.p12`) file's bytes and its
    /// password: OpenSSL 3's and Windows' current encryption (PBES2: AES-256-CBC, PBKDF2) and
    /// the legacy one (3DES, RC2), read in pure Rust by `p12-keystore`.
    ///
    /// # Errors
    ///
    /// A [`CredentialErrorKind::Certificate`] error for a wrong password, a file that is not
    /// PKCS#12 or holds no private key with its certificate, or a key as
    /// [`from_pem`](Self::from_pem) refuses it.
    #[cfg(feature = "pkcs12")]
    pub fn from_pkcs12(pkcs12: &[u8], password: &str) -> Result<Self, CredentialError> {
        use p12_keystore::{KeyStore, Pkcs12ImportPolicy, error::Error as P12Error};
        let store = KeyStore::from_pkcs12(pkcs12, password, Pkcs12ImportPolicy::Strict).map_err(
            |e| match e {
                P12Error::MacError(_) => certificate_error(
                    "the PKCS#12 file's integrity check failed: the password is wrong (or the file is damaged)",
                ),
                other => certificate_error(format!(
                    "the data is not a PKCS#12 file that can be read ({other})"
                )),
            },
        )?;
        let Some((_, chain)) = store.private_key_chain() else {
            return Err(certificate_error(
                "the PKCS#12 file holds no private key together with its certificate",
            ));
        };
        let certificates = chain
            .certs()
            .iter()
            .map(|c| CertificateDer::from(c.as_der().to_vec()))
            .collect();
        let key = PrivateKeyDer::Pkcs8(chain.key().as_der().to_vec().into());
        Self::new(certificates, key)
    }

    fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'_>,
    ) -> Result<Self, CredentialError> {
        let Some(leaf) = chain.first() else {
            return Err(certificate_error(
                "no CERTIFICATE block was found in the certificate text",
            ));
        };
        let key = match &key {
            PrivateKeyDer::Pkcs8(der) => RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der()),
            _ => {
                return Err(certificate_error(
                    "the private key is not an RSA key: Entra ID takes client assertions signed with RSA (RS256, PS256)",
                ));
            }
        }
        .map_err(|e| {
            certificate_error(format!(
                "the private key is not a usable RSA key of 2048 bits or more ({e})"
            ))
        })?;
        let parsed = webpki::EndEntityCert::try_from(leaf).map_err(|e| {
            certificate_error(format!(
                "the certificate is not a readable X.509 certificate ({e})"
            ))
        })?;
        // The key must be the certificate's: sign a probe and verify it with the certificate.
        let rng = SystemRandom::new();
        let probe = b"graph-beta-rs: does this key belong to the certificate?";
        let mut signature = vec![0; key.public().modulus_len()];
        key.sign(&RSA_PKCS1_SHA256, &rng, probe, &mut signature)
            .map_err(|_| certificate_error("the private key cannot sign"))?;
        parsed
            .verify_signature(webpki::ring::RSA_PKCS1_2048_8192_SHA256, probe, &signature)
            .map_err(|_| {
                certificate_error(
                    "the private key does not belong to the certificate (their public keys differ)",
                )
            })?;
        let digest = |algorithm| ring::digest::digest(algorithm, leaf).as_ref().to_vec();
        Ok(Self(Arc::new(Inner {
            sha256: digest(&ring::digest::SHA256),
            sha1: digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY),
            chain,
            key,
            rng,
        })))
    }

    /// The certificate's SHA-256 thumbprint, upper-case hex (what `x5t#S256` carries).
    pub fn sha256_thumbprint(&self) -> String {
        hex(&self.0.sha256)
    }

    /// The certificate's SHA-1 thumbprint, upper-case hex: the "Thumbprint" the Entra admin
    /// center shows for a registered certificate (and what `x5t` carries).
    pub fn sha1_thumbprint(&self) -> String {
        hex(&self.0.sha1)
    }

    /// The certificate (DER), as registered for the app.
    pub fn certificate_der(&self) -> &[u8] {
        self.0.chain.first().map_or(&[], |c| c.as_ref())
    }

    /// A compact JWS of `claims` signed with the key: header `alg`, `typ` `JWT`, the thumbprint
    /// the algorithm calls for, and `x5c` (the chain, base64 DER) when `send_chain`.
    pub(crate) fn sign(
        &self,
        algorithm: AssertionAlgorithm,
        claims: &serde_json::Value,
        send_chain: bool,
    ) -> Result<String, CredentialError> {
        let mut header = serde_json::json!({"alg": algorithm.name(), "typ": "JWT"});
        let padding: &'static dyn RsaEncoding = match algorithm {
            AssertionAlgorithm::Ps256 => {
                header["x5t#S256"] = URL_SAFE_NO_PAD.encode(&self.0.sha256).into();
                &RSA_PSS_SHA256
            }
            AssertionAlgorithm::Rs256 => {
                header["x5t"] = URL_SAFE_NO_PAD.encode(&self.0.sha1).into();
                &RSA_PKCS1_SHA256
            }
        };
        if send_chain {
            header["x5c"] = self
                .0
                .chain
                .iter()
                .map(|c| STANDARD.encode(c))
                .collect::<Vec<_>>()
                .into();
        }
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.0.key.public().modulus_len()];
        self.0
            .key
            .sign(padding, &self.0.rng, input.as_bytes(), &mut signature)
            .map_err(|_| certificate_error("the client assertion could not be signed"))?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// The private key of a PEM text (PKCS#8 or PKCS#1; the first one).
fn read_pem_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, CredentialError> {
    let text = String::from_utf8_lossy(pem);
    if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(certificate_error(
            "the private key is encrypted: give it decrypted (openssl pkey -in key.pem -out plain.pem), or use a PKCS#12 file with its password (feature `pkcs12`)",
        ));
    }
    // The PEM reader's own error is not quoted: it could hold a line of the key.
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| {
        let why = match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "no PRIVATE KEY or RSA PRIVATE KEY block was found"
            }
            _ => "the PEM text is malformed",
        };
        certificate_error(format!("the private key could not be read: {why}"))
    })
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("sha256_thumbprint", &self.sha256_thumbprint())
            .field("chain_len", &self.0.chain.len())
            .field("key", &"<redacted>")
            .finish()
    }
}
