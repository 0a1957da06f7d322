//! The drive of single-valued navigations: a contained one with `PATCH` or `PUT`
//! (`/servicePrincipals/{id}/claimsPolicy`) is written → read → deleted (where the spec has a
//! `DELETE`) → then answers 404, or its initial state with nothing written left; one whose reference is set with `PUT …/$ref`
//! (`/applications/{id}/connectorGroup`) is set → read → its `$ref` read → unset → then answers
//! 404.

use graph_emulator::Seed;
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::bodies;
use crate::driver::{Driver, Failure, fail, unexpected};
use crate::spec::{Seg, Shape, Spec, body_schema, segments, shape};

/// How a single-valued navigation is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `PATCH` (or `PUT` without one) with a JSON body.
    Contained { patch: bool, delete: bool },
    /// `PUT …/$ref` with an `@odata.id`.
    Reference,
}

/// A single-valued navigation to drive.
#[derive(Debug, Clone)]
pub struct SingleTarget {
    pub template: String,
    pub shape: Shape,
    pub kind: Kind,
    /// The type: the `PATCH`/`PUT` body's schema, or the `GET`'s answer for a reference.
    pub schema: Option<String>,
}

/// The steps, in order. For a reference, `write` is `PUT $ref` and `delete` is `DELETE $ref`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SingleStep {
    Parent,
    Write,
    Read,
    ReadRef,
    Delete,
    Gone,
}

impl SingleStep {
    pub const ALL: [SingleStep; 6] = [
        SingleStep::Parent,
        SingleStep::Write,
        SingleStep::Read,
        SingleStep::ReadRef,
        SingleStep::Delete,
        SingleStep::Gone,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SingleStep::Parent => "parent",
            SingleStep::Write => "write",
            SingleStep::Read => "read",
            SingleStep::ReadRef => "read-ref",
            SingleStep::Delete => "delete",
            SingleStep::Gone => "gone",
        }
    }
}

/// The first failing step, if any.
pub type SingleOutcome = Option<(SingleStep, Failure)>;

fn answer_schema(op: &Value) -> Option<String> {
    let content = op["responses"]["2XX"]["content"]
        .as_object()
        .or_else(|| op["responses"]["200"]["content"].as_object())?;
    let (_, media) = content.iter().find(|(name, _)| name.contains("json"))?;
    media["schema"]["$ref"]
        .as_str()?
        .strip_prefix("#/components/schemas/")
        .map(str::to_owned)
}

/// Every single-valued navigation the drive can write, in document order.
pub fn targets(spec: &Spec) -> Vec<SingleTarget> {
    let Some(paths) = spec.doc["paths"].as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (template, item) in paths {
        let segs = segments(template);
        let Some(Seg::Lit(last)) = segs.last() else {
            continue;
        };
        if segs.len() < 2 || last.starts_with('$') || last.contains('.') {
            continue;
        }
        let ops: Vec<&Value> = ["get", "put", "patch", "delete", "post"]
            .iter()
            .filter_map(|m| item.get(*m))
            .collect();
        let is_operation = ops.iter().any(|op| {
            matches!(
                op["x-ms-docs-operation-type"].as_str(),
                Some("action" | "function")
            )
        });
        // A collection: it can be posted to, or a template continues it with a key.
        let is_collection = item.get("post").is_some()
            || paths.keys().any(|t| {
                t.strip_prefix(template.as_str())
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|rest| matches!(segments(rest).as_slice(), [Seg::Key(_), ..]))
            });
        if is_operation || is_collection || item.get("get").is_none() {
            continue;
        }
        let write = item
            .get("patch")
            .and_then(body_schema)
            .map(|s| (s, true))
            .or_else(|| item.get("put").and_then(body_schema).map(|s| (s, false)));
        if let Some((schema, patch)) = write {
            out.push(SingleTarget {
                template: template.clone(),
                shape: shape(&segs),
                kind: Kind::Contained {
                    patch,
                    delete: item.get("delete").is_some(),
                },
                schema: Some(schema),
            });
        }
        let reference = paths.get(&format!("{template}/$ref"));
        if reference.is_some_and(|r| r.get("put").is_some()) {
            out.push(SingleTarget {
                template: template.clone(),
                shape: shape(&segs),
                kind: Kind::Reference,
                schema: item.get("get").and_then(answer_schema),
            });
        }
    }
    out
}

/// Drives one single-valued navigation.
pub async fn drive(driver: &mut Driver<'_>, target: &SingleTarget) -> SingleOutcome {
    steps(driver, target).await.err()
}

fn has_all(answer: &Value, expected: &Map<String, Value>) -> Result<(), String> {
    for (name, value) in expected {
        if answer.get(name) != Some(value) {
            return Err(format!(
                "read {name} is {:?}, wanted {value}",
                answer.get(name)
            ));
        }
    }
    Ok(())
}

async fn steps(
    driver: &mut Driver<'_>,
    target: &SingleTarget,
) -> Result<(), (SingleStep, Failure)> {
    driver.ensure_parents(&target.template).await;
    let url = driver
        .fill(&target.template, None)
        .map_err(|(status, why)| (SingleStep::Parent, fail(status, why)))?;
    match target.kind {
        Kind::Contained { patch, delete } => contained(driver, target, &url, patch, delete).await,
        Kind::Reference => reference(driver, target, &url).await,
    }
}

async fn contained(
    driver: &mut Driver<'_>,
    target: &SingleTarget,
    url: &str,
    patch: bool,
    delete: bool,
) -> Result<(), (SingleStep, Failure)> {
    let doc = &driver.spec().doc;
    let unique = driver.unique();
    let props = target
        .schema
        .as_deref()
        .map(|s| bodies::properties(doc, s))
        .unwrap_or_default();
    let patchable = bodies::patchable(&props, &[], &unique);
    let body = bodies::create_body(doc, &props, &[], patchable.as_ref(), &unique);
    let method = if patch { Method::PATCH } else { Method::PUT };
    let (status, answer) = driver
        .send(method, url, Some(&Value::Object(body.clone())))
        .await;
    if !matches!(status, 200 | 201 | 204) {
        return Err((SingleStep::Write, unexpected(status, &answer, "2xx")));
    }
    let (status, answer) = driver.send(Method::GET, url, None).await;
    if status != 200 {
        return Err((SingleStep::Read, unexpected(status, &answer, "200")));
    }
    has_all(&answer, &body).map_err(|why| (SingleStep::Read, fail(status, why)))?;
    if !delete {
        return Ok(());
    }
    let (status, answer) = driver.send(Method::DELETE, url, None).await;
    if status != 204 {
        return Err((SingleStep::Delete, unexpected(status, &answer, "204")));
    }
    // Gone: 404 (or 204, OData's "no related entity"), or — the engine's model of a contained
    // single-valued navigation, which always exists — its initial state again: nothing written
    // is left.
    let (status, answer) = driver.send(Method::GET, url, None).await;
    let left: Vec<&String> = body
        .iter()
        .filter(|(name, value)| answer.get(name.as_str()) == Some(value))
        .map(|(name, _)| name)
        .collect();
    match status {
        404 | 204 => Ok(()),
        200 if left.is_empty() => Ok(()),
        200 => Err((
            SingleStep::Gone,
            fail(status, format!("still has what was written: {left:?}")),
        )),
        _ => Err((
            SingleStep::Gone,
            unexpected(status, &answer, "404, 204 or 200 reset"),
        )),
    }
}

async fn reference(
    driver: &mut Driver<'_>,
    target: &SingleTarget,
    url: &str,
) -> Result<(), (SingleStep, Failure)> {
    let Some(type_name) = target
        .schema
        .as_deref()
        .and_then(|s| s.strip_prefix("microsoft.graph."))
    else {
        return Err((SingleStep::Write, fail(0, "the spec gives no type")));
    };
    let Some(seeder) = driver.seeder() else {
        return Err((
            SingleStep::Write,
            fail(0, "cannot seed an emulator in another process"),
        ));
    };
    let set = crate::references::plural(type_name);
    let id = uuid::Uuid::new_v4().to_string();
    seeder
        .seed(Seed::new().entity(
            &set,
            json!({"id": id, "@odata.type": format!("#microsoft.graph.{type_name}")}),
        ))
        .map_err(|e| (SingleStep::Write, fail(0, format!("seeding failed: {e}"))))?;
    let refs = format!("{url}/$ref");
    let reference = json!({"@odata.id": format!("{}/{set}/{id}", driver.base_url())});
    let (status, answer) = driver.send(Method::PUT, &refs, Some(&reference)).await;
    if status != 204 {
        return Err((SingleStep::Write, unexpected(status, &answer, "204")));
    }
    let (status, answer) = driver.send(Method::GET, url, None).await;
    if status != 200 || answer["id"].as_str() != Some(id.as_str()) {
        return Err((
            SingleStep::Read,
            unexpected(status, &answer, "200 with the referenced entity"),
        ));
    }
    let (status, answer) = driver.send(Method::GET, &refs, None).await;
    let points = answer["@odata.id"]
        .as_str()
        .is_some_and(|u| u.ends_with(&format!("/{id}")));
    if status != 200 || !points {
        return Err((
            SingleStep::ReadRef,
            unexpected(status, &answer, "200 with its @odata.id"),
        ));
    }
    let (status, answer) = driver.send(Method::DELETE, &refs, None).await;
    if status != 204 {
        return Err((SingleStep::Delete, unexpected(status, &answer, "204")));
    }
    let (status, answer) = driver.send(Method::GET, url, None).await;
    if status != 404 {
        return Err((SingleStep::Gone, unexpected(status, &answer, "404")));
    }
    Ok(())
}
