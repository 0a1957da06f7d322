//! [`TokenCache`]: reuse tokens until shortly before they expire, with one fetch in flight per
//! scope set, around any [`Credential`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use super::{AccessToken, Credential, CredentialError, TokenFuture, TokenRequest};

/// How long before `expires_on` a cached token stops being handed out.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(5 * 60);

/// A caching layer around any credential.
///
/// * A token is reused until [`margin`](Self::with_margin) (5 minutes by default) before its
///   `expires_on`; a token without an expiry is reused until a claims challenge replaces it.
/// * One fetch is in flight per scope set: concurrent callers that find no fresh token wait for
///   the same fetch (64 concurrent first requests cause one token request). If that fetch
///   fails, the callers that waited for it get its error; the failure is not cached, so the next
///   caller tries again.
/// * A request with claims (a continuous-access-evaluation challenge) bypasses the cache and
///   goes to the inner credential, and the token it returns replaces the cached one.
///
/// ```
/// use graph_core::{StaticToken, TokenCache};
/// let cached = TokenCache::new(StaticToken::new("token"));
/// # let _ = cached;
/// ```
pub struct TokenCache<C> {
    inner: C,
    margin: Duration,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

#[derive(Default)]
struct Slot {
    /// Held by the one caller that fetches.
    flight: tokio::sync::Mutex<()>,
    state: Mutex<SlotState>,
}

#[derive(Default)]
struct SlotState {
    token: Option<AccessToken>,
    /// Counts finished fetches.
    fetches: u64,
    /// The failure of fetch number `.0`, for the callers that waited for it.
    failure: Option<(u64, CredentialError)>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Slot {
    fn fresh(&self, margin: Duration) -> Option<AccessToken> {
        let state = lock(&self.state);
        let token = state.token.as_ref()?;
        match token.expires_on() {
            None => Some(token.clone()),
            Some(expires) => (expires > SystemTime::now() + margin).then(|| token.clone()),
        }
    }

    fn fetches(&self) -> u64 {
        lock(&self.state).fetches
    }

    fn finish(&self, outcome: &Result<AccessToken, CredentialError>) {
        let mut state = lock(&self.state);
        state.fetches += 1;
        match outcome {
            Ok(token) => {
                state.token = Some(token.clone());
                state.failure = None;
            }
            Err(e) => state.failure = Some((state.fetches, e.clone())),
        }
    }

    /// The failure of a fetch that finished after fetch number `seen`.
    fn failure_since(&self, seen: u64) -> Option<CredentialError> {
        let state = lock(&self.state);
        state
            .failure
            .as_ref()
            .filter(|(n, _)| *n > seen)
            .map(|(_, e)| e.clone())
    }
}

impl<C: Credential> TokenCache<C> {
    /// Caches `inner`'s tokens with the default margin of 5 minutes.
    pub fn new(inner: C) -> Self {
        Self {
            inner,
            margin: DEFAULT_MARGIN,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// Stops handing out a token `margin` before it expires.
    #[must_use]
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The credential inside.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// Forgets every cached token (the next request fetches).
    pub fn clear(&self) {
        lock(&self.slots).clear();
    }

    fn slot(&self, scopes: &[String]) -> Arc<Slot> {
        if let [scope] = scopes {
            // The usual case, one scope: looked up without building a key.
            let mut slots = lock(&self.slots);
            if let Some(slot) = slots.get(scope.as_str()) {
                return Arc::clone(slot);
            }
            return Arc::clone(slots.entry(scope.clone()).or_default());
        }
        let mut key: Vec<&str> = scopes.iter().map(String::as_str).collect();
        key.sort_unstable();
        key.dedup();
        Arc::clone(lock(&self.slots).entry(key.join(" ")).or_default())
    }

    async fn cached(&self, request: &TokenRequest) -> Result<AccessToken, CredentialError> {
        let slot = self.slot(&request.scopes);
        if request.claims.is_some() {
            let _flight = slot.flight.lock().await;
            let outcome = self.inner.token(request).await;
            slot.finish(&outcome);
            return outcome;
        }
        if let Some(token) = slot.fresh(self.margin) {
            return Ok(token);
        }
        let seen = slot.fetches();
        let _flight = slot.flight.lock().await;
        if let Some(token) = slot.fresh(self.margin) {
            return Ok(token);
        }
        if let Some(failure) = slot.failure_since(seen) {
            return Err(failure);
        }
        let outcome = self.inner.token(request).await;
        slot.finish(&outcome);
        outcome
    }
}

impl<C: Credential> Credential for TokenCache<C> {
    fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        Box::pin(self.cached(request))
    }

    /// The cached token while it is fresh (never for a request with claims).
    fn token_now(&self, request: &TokenRequest) -> Option<AccessToken> {
        if request.claims.is_some() {
            return None;
        }
        self.slot(&request.scopes).fresh(self.margin)
    }
}

impl<C: fmt::Debug> fmt::Debug for TokenCache<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("inner", &self.inner)
            .field("margin", &self.margin)
            .field("scope_sets", &lock(&self.slots).len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Counts fetches; fails while `fail` is set; tokens expire after `lifetime`.
    #[derive(Debug, Default)]
    struct Counting {
        fetches: AtomicUsize,
        fail: std::sync::atomic::AtomicBool,
        lifetime_secs: u64,
    }

    impl Credential for Counting {
        fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
            Box::pin(async move {
                let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
                if self.fail.load(Ordering::SeqCst) {
                    return Err(CredentialError::new(format!("fetch {n} failed")));
                }
                let claims = request.claims.as_deref().unwrap_or("");
                Ok(AccessToken::new(format!("token-{n}{claims}"))
                    .with_expires_on(SystemTime::now() + Duration::from_secs(self.lifetime_secs)))
            })
        }
    }

    fn request(scope: &str) -> TokenRequest {
        TokenRequest {
            scopes: vec![scope.to_owned()],
            claims: None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sixty_four_first_calls_cause_one_fetch() {
        let cache = Arc::new(TokenCache::new(Counting {
            lifetime_secs: 3600,
            ..Counting::default()
        }));
        let calls = (0..64).map(|_| {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move {
                cache
                    .token(&request("s/.default"))
                    .await
                    .map(|t| t.secret().to_owned())
            })
        });
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap(), "token-1");
        }
        assert_eq!(cache.inner().fetches.load(Ordering::SeqCst), 1);
        // Another scope set is another slot.
        assert_eq!(
            cache
                .token(&request("other/.default"))
                .await
                .unwrap()
                .secret(),
            "token-2"
        );
    }

    #[tokio::test]
    async fn tokens_near_expiry_are_refetched_and_claims_bypass() {
        // Lifetime 60 s, margin 5 min: never fresh, so every call fetches.
        let cache = TokenCache::new(Counting {
            lifetime_secs: 60,
            ..Counting::default()
        });
        cache.token(&request("s")).await.unwrap();
        cache.token(&request("s")).await.unwrap();
        assert_eq!(cache.inner().fetches.load(Ordering::SeqCst), 2);
        let cache = cache.with_margin(Duration::from_secs(10));
        let first = cache.token(&request("s")).await.unwrap();
        assert_eq!(
            cache.token(&request("s")).await.unwrap(),
            first,
            "reused within the margin"
        );
        let challenged = TokenRequest {
            scopes: vec!["s".into()],
            claims: Some("+claims".into()),
        };
        let fresh = cache.token(&challenged).await.unwrap();
        assert!(
            fresh.secret().ends_with("+claims"),
            "a claims request goes to the credential"
        );
        assert_eq!(
            cache.token(&request("s")).await.unwrap(),
            fresh,
            "and its token replaces the cached one"
        );
        // At hand without a future while fresh; never for claims; per scope set.
        assert_eq!(cache.token_now(&request("s")), Some(fresh));
        assert_eq!(cache.token_now(&challenged), None);
        assert_eq!(cache.token_now(&request("never-fetched")), None);
        let stale = TokenCache::new(Counting {
            lifetime_secs: 60,
            ..Counting::default()
        });
        stale.token(&request("s")).await.unwrap();
        assert_eq!(
            stale.token_now(&request("s")),
            None,
            "inside the margin: fetch again"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_fetch_is_shared_with_its_waiters_but_not_cached() {
        let cache = Arc::new(TokenCache::new(Counting {
            lifetime_secs: 3600,
            ..Counting::default()
        }));
        cache.inner().fail.store(true, Ordering::SeqCst);
        let calls: Vec<_> = (0..8)
            .map(|_| {
                let cache = Arc::clone(&cache);
                tokio::spawn(async move { cache.token(&request("s")).await })
            })
            .collect();
        for call in calls {
            assert!(call.await.unwrap().is_err());
        }
        assert_eq!(
            cache.inner().fetches.load(Ordering::SeqCst),
            1,
            "the waiters shared the one failure"
        );
        cache.inner().fail.store(false, Ordering::SeqCst);
        assert_eq!(
            cache.token(&request("s")).await.unwrap().secret(),
            "token-2",
            "the failure was not cached"
        );
    }
}
