//! The client side of the drives: requests with the test's token, URLs filled with the ids of
//! parents made on the way (created through the spec's own creates, or seeded where the module
//! has none), and failures with stable reasons.

use std::collections::HashMap;
use std::fmt;

use graph_emulator::{Emulator, Seed};
use reqwest::{Client, Method};
use serde_json::{Map, Value, json};

use crate::bodies::{self, Patchable};
use crate::spec::{Seg, Spec, Target, segments};

/// Why a step failed: the status the emulator answered (0 when the test could not even send
/// the request) and a readable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub reason: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.reason)
    }
}

/// A parent that could not be made: the status its create answered (0 when there is no way to
/// make one) and why.
pub type ParentError = (u16, String);

/// Drives collections against one emulator.
pub struct Driver<'a> {
    spec: &'a Spec,
    base_url: String,
    /// The in-process emulator, to seed parents the module cannot create (`None` when driving
    /// a separate process).
    seeder: Option<&'a Emulator>,
    http: Client,
    token: String,
    targets: &'a [Target],
    /// A live member of each collection template, used as a parent: its id, or why there is
    /// none.
    parents: HashMap<String, Result<String, ParentError>>,
    counter: usize,
    /// Requests sent so far.
    sent: std::cell::Cell<usize>,
}

/// A body's first 160 characters, with UUIDs replaced by `<id>` and the port by `PORT` so
/// that reasons are stable.
fn scrub(text: &str) -> String {
    const HOST: &str = "127.0.0.1:";
    let text = match text.find(HOST) {
        Some(at) => {
            let start = at + HOST.len();
            let digits = text[start..].bytes().take_while(u8::is_ascii_digit).count();
            let port = &text[start..start + digits];
            text.replace(&format!("{HOST}{port}"), &format!("{HOST}PORT"))
        }
        None => text.to_owned(),
    };
    let mut out = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let candidate: String = chars[i..chars.len().min(i + 36)].iter().collect();
        if candidate.len() == 36
            && candidate.char_indices().all(|(j, c)| {
                if [8, 13, 18, 23].contains(&j) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            })
        {
            out.push_str("<id>");
            i += 36;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out.chars().take(160).collect()
}

/// A failure from an unexpected answer.
pub fn unexpected(status: u16, body: &Value, wanted: &str) -> Failure {
    let reason = match body.get("error") {
        Some(e) => format!(
            "{}: {}",
            e["code"].as_str().unwrap_or("?"),
            e["message"].as_str().unwrap_or("")
        ),
        None => format!("wanted {wanted}, body {body}"),
    };
    Failure {
        status,
        reason: scrub(&reason),
    }
}

pub fn fail(status: u16, reason: impl Into<String>) -> Failure {
    Failure {
        status,
        reason: scrub(&reason.into()),
    }
}

impl<'a> Driver<'a> {
    pub fn new(
        spec: &'a Spec,
        base_url: String,
        seeder: Option<&'a Emulator>,
        http: Client,
        token: String,
        targets: &'a [Target],
    ) -> Self {
        Self {
            spec,
            base_url,
            seeder,
            http,
            token,
            targets,
            parents: HashMap::new(),
            counter: 0,
            sent: std::cell::Cell::new(0),
        }
    }

    /// How many requests this driver has sent.
    pub fn sent(&self) -> usize {
        self.sent.get()
    }

    /// The document driven.
    pub fn spec(&self) -> &'a Spec {
        self.spec
    }

    /// The service root driven.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The in-process emulator, if any.
    pub fn seeder(&self) -> Option<&'a Emulator> {
        self.seeder
    }

    pub fn unique(&mut self) -> String {
        self.counter += 1;
        format!("drive{}", self.counter)
    }

    pub async fn send(&self, method: Method, url: &str, body: Option<&Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, url)
            .bearer_auth(&self.token)
            .header("client-request-id", uuid::Uuid::new_v4().to_string());
        if let Some(body) = body {
            request = request.json(body);
        }
        self.sent.set(self.sent.get() + 1);
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                (status, body)
            }
            Err(e) => (0, Value::String(format!("transport error: {e}"))),
        }
    }

    /// The URL of `template` with every key filled by a parent's id, or by `own` for the last
    /// key.
    pub fn fill(&self, template: &str, own: Option<&str>) -> Result<String, ParentError> {
        let segs = segments(template);
        let last_key = segs.iter().rposition(|s| matches!(s, Seg::Key(_)));
        let mut url = self.base_url.clone();
        for (i, seg) in segs.iter().enumerate() {
            url.push('/');
            match seg {
                Seg::Lit(l) | Seg::Other(l) => url.push_str(l),
                Seg::Key(_) if Some(i) == last_key && own.is_some() => {
                    url.push_str(own.unwrap_or_default());
                }
                Seg::Key(_) => {
                    let prefix = prefix_template(&segs[..i]);
                    match self.parents.get(&prefix) {
                        Some(Ok(id)) => url.push_str(id),
                        Some(Err(why)) => return Err(why.clone()),
                        None => return Err((0, format!("no parent made for {prefix}"))),
                    }
                }
            }
        }
        Ok(url)
    }

    /// Makes sure every key of `template` has a live parent, outermost first.
    pub async fn ensure_parents(&mut self, template: &str) {
        let segs = segments(template);
        for (i, seg) in segs.iter().enumerate() {
            let Seg::Key(param) = seg else { continue };
            let prefix = prefix_template(&segs[..i]);
            if self.parents.contains_key(&prefix) {
                continue;
            }
            let made = self.make_parent(&prefix, param).await;
            self.parents.insert(prefix, made);
        }
    }

    async fn make_parent(&mut self, prefix: &str, param: &str) -> Result<String, ParentError> {
        if let Some(target) = self.targets.iter().find(|t| t.template == prefix) {
            let url = self.fill(prefix, None)?;
            let unique = self.unique();
            return match self.create(target, &url, &unique).await {
                Ok((id, _, _)) => Ok(id),
                Err(f) => Err((
                    f.status,
                    format!("parent {prefix}: create answered {}", f.reason),
                )),
            };
        }
        let none = |why: String| (0, format!("parent {prefix}: {why}"));
        if let [Seg::Lit(set)] = segments(prefix).as_slice() {
            // A top-level set the module cannot create (users, groups): seed a member.
            let type_name = self
                .spec
                .key_type(param)
                .ok_or_else(|| none(format!("no x-ms-docs-key-type for {param}")))?;
            let seeder = self
                .seeder
                .ok_or_else(|| none("cannot seed an emulator in another process".to_owned()))?;
            let id = uuid::Uuid::new_v4().to_string();
            seeder
                .seed(Seed::new().entity(
                    set,
                    json!({"id": id, "@odata.type": format!("#microsoft.graph.{type_name}")}),
                ))
                .map_err(|e| none(format!("seeding failed: {e}")))?;
            return Ok(id);
        }
        Err(none("the spec has no POST to create one".to_owned()))
    }

    /// POSTs a minimal member; answers its id, the body sent and the patchable property.
    pub async fn create(
        &self,
        target: &Target,
        url: &str,
        unique: &str,
    ) -> Result<(String, Map<String, Value>, Option<Patchable>), Failure> {
        let doc = &self.spec.doc;
        let props = target
            .schema
            .as_deref()
            .map(|s| bodies::properties(doc, s))
            .unwrap_or_default();
        let alternate: Vec<String> = target
            .alternate_keys
            .iter()
            .flat_map(|(_, params)| params.iter().cloned())
            .collect();
        let patch = bodies::patchable(&props, &alternate, unique);
        let body = bodies::create_body(doc, &props, &alternate, patch.as_ref(), unique);
        let (status, answer) = self
            .send(Method::POST, url, Some(&Value::Object(body.clone())))
            .await;
        if status != 201 {
            return Err(unexpected(status, &answer, "201"));
        }
        let Some(id) = answer["id"].as_str().filter(|id| !id.is_empty()) else {
            return Err(fail(status, format!("no id in {answer}")));
        };
        for (name, value) in &body {
            if answer.get(name) != Some(value) {
                return Err(fail(
                    status,
                    format!("created {name} is {:?}, sent {value}", answer.get(name)),
                ));
            }
        }
        Ok((id.to_owned(), body, patch))
    }
}

/// `/a/{a-id}/b` from segments.
fn prefix_template(segs: &[Seg]) -> String {
    let mut out = String::new();
    for seg in segs {
        out.push('/');
        match seg {
            Seg::Lit(s) | Seg::Other(s) => out.push_str(s),
            Seg::Key(k) => {
                out.push('{');
                out.push_str(k);
                out.push('}');
            }
        }
    }
    out
}
