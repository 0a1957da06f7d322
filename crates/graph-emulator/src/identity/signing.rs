//! The identity provider's token-signing key: RS256 JWTs, and the JSON Web Key Set that verifies
//! them.
//!
//! The key is [`TOKEN_SIGNING_TEST_KEY_PEM`](crate::tls::TOKEN_SIGNING_TEST_KEY_PEM), a 2048-bit
//! RSA key committed with the crate: public, so it proves nothing outside tests. Its key id
//! (`kid`) is its RFC 7638 JWK thumbprint, so it changes only when the key does.

use std::sync::{Arc, LazyLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents};
use rustls::pki_types::PrivatePkcs8KeyDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Value, json};

/// An RSA key that signs tokens with RS256.
pub(crate) struct SigningKey {
    pair: RsaKeyPair,
    rng: SystemRandom,
    /// The public key as a JWK (`kty`, `use`, `kid`, `alg`, `n`, `e`).
    jwk: Value,
    kid: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads a PKCS#8 PEM RSA private key.
    fn from_pkcs8_pem(pem: &str) -> Result<Self, String> {
        let der = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| format!("the token-signing key is not PKCS#8 PEM: {e}"))?;
        let pair = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
            .map_err(|e| format!("the token-signing key is not a usable RSA key: {e}"))?;
        let public = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
        let n = URL_SAFE_NO_PAD.encode(&public.n);
        let e = URL_SAFE_NO_PAD.encode(&public.e);
        // RFC 7638: SHA-256 of the required members, in lexicographic order, without spaces.
        let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            canonical.as_bytes(),
        ));
        let jwk = json!({"kty": "RSA", "use": "sig", "kid": kid, "alg": "RS256", "n": n, "e": e});
        Ok(Self {
            pair,
            rng: SystemRandom::new(),
            jwk,
            kid,
        })
    }

    /// The committed test key, read once.
    pub(crate) fn test_key() -> Result<Arc<Self>, String> {
        static KEY: LazyLock<Result<Arc<SigningKey>, String>> = LazyLock::new(|| {
            SigningKey::from_pkcs8_pem(crate::tls::TOKEN_SIGNING_TEST_KEY_PEM).map(Arc::new)
        });
        KEY.clone()
    }

    /// The JSON Web Key Set holding this key: `{"keys": [jwk]}`.
    pub(crate) fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }

    /// A compact JWS of `claims` (an object), signed RS256, with `typ`, `alg` and `kid` in its
    /// header. `None` only if the signing itself fails (it cannot for a valid key).
    pub(crate) fn sign(&self, claims: &Value) -> Option<String> {
        let header = json!({"typ": "JWT", "alg": "RS256", "kid": self.kid});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &self.rng,
                signing_input.as_bytes(),
                &mut signature,
            )
            .ok()?;
        Some(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn signs_what_the_published_key_verifies() {
        let key = SigningKey::test_key().unwrap();
        let token = key.sign(&json!({"sub": "x"})).unwrap();
        let (input, signature) = token.rsplit_once('.').unwrap();
        let jwk = &key.jwks()["keys"][0];
        let component = |name: &str| URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap();
        let public = RsaPublicKeyComponents {
            n: component("n"),
            e: component("e"),
        };
        let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
        public
            .verify(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                input.as_bytes(),
                &signature,
            )
            .unwrap();
        let tampered = input.replacen('e', "f", 1);
        assert!(
            public
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    tampered.as_bytes(),
                    &signature,
                )
                .is_err()
        );
        assert!(!format!("{key:?}").contains(jwk["n"].as_str().unwrap()));
        assert!(SigningKey::from_pkcs8_pem("not a key").is_err());
    }
}
