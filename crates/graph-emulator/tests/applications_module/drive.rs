//! The drive of one collection over HTTP: create two members → read one by key → (its
//! alternate keys) → `PATCH` it → read the change → find it by paging with `$top=1` and
//! `@odata.nextLink` → delete it → its read answers 404. Parents are created first, once.

use std::collections::HashMap;
use std::fmt;

use graph_emulator::{Emulator, Seed};
use reqwest::{Client, Method};
use serde_json::{Map, Value, json};

use crate::bodies::{self, Patchable};
use crate::spec::{Seg, Spec, Target, segments};

/// The steps of the drive, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// Every parent the path's keys need could be made.
    Parent,
    Create,
    Read,
    Patch,
    ReadPatched,
    Page,
    Delete,
    Gone,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Parent,
        Step::Create,
        Step::Read,
        Step::Patch,
        Step::ReadPatched,
        Step::Page,
        Step::Delete,
        Step::Gone,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Step::Parent => "parent",
            Step::Create => "create",
            Step::Read => "read",
            Step::Patch => "patch",
            Step::ReadPatched => "read-patched",
            Step::Page => "page",
            Step::Delete => "delete",
            Step::Gone => "gone",
        }
    }
}

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

/// What happened to one collection.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The first failing step, if any (the steps after it were not attempted).
    pub failed: Option<(Step, Failure)>,
    /// Whether the spec gives the members an alternate key.
    pub has_alternate_keys: bool,
    /// `None` when the collection has no alternate key or the drive did not get that far.
    pub alternate_key: Option<Result<(), Failure>>,
}

impl Outcome {
    pub fn passed(&self, step: Step) -> bool {
        self.failed.as_ref().is_none_or(|(s, _)| step < *s)
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
    async fn create(
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

    /// Drives one collection.
    pub async fn drive(&mut self, target: &Target) -> Outcome {
        let mut outcome = Outcome {
            failed: None,
            has_alternate_keys: !target.alternate_keys.is_empty(),
            alternate_key: None,
        };
        if let Err((step, failure)) = self.steps(target, &mut outcome).await {
            outcome.failed = Some((step, failure));
        }
        outcome
    }

    async fn steps(
        &mut self,
        target: &Target,
        outcome: &mut Outcome,
    ) -> Result<(), (Step, Failure)> {
        self.ensure_parents(&target.template).await;
        let collection = self
            .fill(&target.template, None)
            .map_err(|(status, why)| (Step::Parent, fail(status, why)))?;
        let first = self.unique();
        let second = self.unique();
        let (id, body, patch) = self
            .create(target, &collection, &first)
            .await
            .map_err(|f| (Step::Create, f))?;
        let (other, _, _) = self
            .create(target, &collection, &second)
            .await
            .map_err(|f| (Step::Create, f))?;
        if other == id {
            return Err((Step::Create, fail(201, "two creates answered the same id")));
        }

        let Some(item_template) = &target.item else {
            return Err((Step::Read, fail(0, "the spec has no GET on a member")));
        };
        let item = self
            .fill(item_template, Some(&id))
            .map_err(|(status, why)| (Step::Read, fail(status, why)))?;
        self.read(&item, &id, &body)
            .await
            .map_err(|f| (Step::Read, f))?;

        if !target.alternate_keys.is_empty() {
            outcome.alternate_key = Some(self.alternate_keys(target, &id, &body).await);
        }

        let Some(patch) = patch else {
            return Err((
                Step::Patch,
                fail(0, "the schema has no writable string or boolean property"),
            ));
        };
        let change = json!({ patch.name.clone(): patch.second.clone() });
        let (status, answer) = self.send(Method::PATCH, &item, Some(&change)).await;
        if !matches!(status, 200 | 204) {
            return Err((Step::Patch, unexpected(status, &answer, "200 or 204")));
        }
        let mut patched = body.clone();
        patched.insert(patch.name.clone(), patch.second.clone());
        self.read(&item, &id, &patched)
            .await
            .map_err(|f| (Step::ReadPatched, f))?;

        self.page(&collection, &id)
            .await
            .map_err(|f| (Step::Page, f))?;

        let (status, answer) = self.send(Method::DELETE, &item, None).await;
        if status != 204 {
            return Err((Step::Delete, unexpected(status, &answer, "204")));
        }
        let (status, answer) = self.send(Method::GET, &item, None).await;
        if status != 404 {
            return Err((Step::Gone, unexpected(status, &answer, "404")));
        }
        Ok(())
    }

    /// GET a member: 200, the id, and every property in `expected`.
    async fn read(
        &self,
        url: &str,
        id: &str,
        expected: &Map<String, Value>,
    ) -> Result<(), Failure> {
        let (status, answer) = self.send(Method::GET, url, None).await;
        if status != 200 {
            return Err(unexpected(status, &answer, "200"));
        }
        if answer["id"].as_str() != Some(id) {
            return Err(fail(
                status,
                format!("read id {}, wanted the created one", answer["id"]),
            ));
        }
        for (name, value) in expected {
            if answer.get(name) != Some(value) {
                return Err(fail(
                    status,
                    format!("read {name} is {:?}, wanted {value}", answer.get(name)),
                ));
            }
        }
        Ok(())
    }

    /// Every alternate key of the collection finds the member.
    async fn alternate_keys(
        &self,
        target: &Target,
        id: &str,
        body: &Map<String, Value>,
    ) -> Result<(), Failure> {
        for (template, params) in &target.alternate_keys {
            let mut concrete = template.clone();
            for param in params {
                let Some(value) = body.get(param).and_then(Value::as_str) else {
                    return Err(fail(
                        0,
                        format!("the schema has no string property {param}"),
                    ));
                };
                concrete = concrete.replace(&format!("{{{param}}}"), value);
            }
            // The keys before the alternate key are parents; fill them as a template.
            let url = self
                .fill(&concrete, None)
                .map_err(|(status, why)| fail(status, why))?;
            let (status, answer) = self.send(Method::GET, &url, None).await;
            if status != 200 {
                return Err(unexpected(status, &answer, "200"));
            }
            if answer["id"].as_str() != Some(id) {
                return Err(fail(
                    status,
                    format!("{template} found id {}", answer["id"]),
                ));
            }
        }
        Ok(())
    }

    /// Lists with `$top=1` and follows `@odata.nextLink` until the member shows up.
    async fn page(&self, collection: &str, id: &str) -> Result<(), Failure> {
        let mut url = format!("{collection}?$top=1");
        for page in 0..200 {
            let (status, answer) = self.send(Method::GET, &url, None).await;
            if status != 200 {
                return Err(unexpected(status, &answer, "200"));
            }
            let Some(items) = answer["value"].as_array() else {
                return Err(fail(status, format!("page {page} has no value array")));
            };
            if items.len() > 1 {
                return Err(fail(
                    status,
                    format!("$top=1 answered {} members", items.len()),
                ));
            }
            let next = answer["@odata.nextLink"].as_str();
            if page == 0 && next.is_none() {
                return Err(fail(
                    status,
                    "first $top=1 page of two or more members has no @odata.nextLink",
                ));
            }
            if items.iter().any(|item| item["id"].as_str() == Some(id)) {
                return Ok(());
            }
            match next {
                Some(next) => url = next.to_owned(),
                None => {
                    return Err(fail(status, format!("not found after {} pages", page + 1)));
                }
            }
        }
        Err(fail(200, "not found in 200 pages"))
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
