//! The drive of one collection over HTTP: create two members → read one by key → (its
//! alternate keys) → `PATCH` it → read the change → find it by paging with `$top=1` and
//! `@odata.nextLink` → delete it → its read answers 404. Parents are created first, once.

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::driver::{Driver, Failure, fail, unexpected};
use crate::spec::Target;

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

/// What happened to one collection.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The first failing step, if any (the steps after it were not attempted).
    pub failed: Option<(Step, Failure)>,
    /// Whether the spec gives the members an alternate key.
    pub has_alternate_keys: bool,
    /// `None` when the collection has no alternate key or the drive did not get that far.
    pub alternate_key: Option<Result<(), Failure>>,
    /// Why some steps were done another way or not at all (the spec does not offer them).
    pub note: Option<&'static str>,
    /// Steps the spec does not offer for this collection: not tried, and not counted as passed.
    pub not_offered: &'static [Step],
}

impl Outcome {
    pub fn passed(&self, step: Step) -> bool {
        !self.not_offered.contains(&step) && self.failed.as_ref().is_none_or(|(s, _)| step < *s)
    }
}

/// Drives one collection.
pub async fn drive(driver: &mut Driver<'_>, target: &Target) -> Outcome {
    let mut outcome = Outcome {
        failed: None,
        has_alternate_keys: !target.alternate_keys.is_empty(),
        alternate_key: None,
        note: None,
        not_offered: &[],
    };
    if let Err((step, failure)) = steps(driver, target, &mut outcome).await {
        outcome.failed = Some((step, failure));
    }
    outcome
}

async fn steps(
    driver: &mut Driver<'_>,
    target: &Target,
    outcome: &mut Outcome,
) -> Result<(), (Step, Failure)> {
    driver.ensure_parents(&target.template).await;
    let collection = driver
        .fill(&target.template, None)
        .map_err(|(status, why)| (Step::Parent, fail(status, why)))?;
    let first = driver.unique();
    let second = driver.unique();
    let (id, body, patch) = driver
        .create(target, &collection, &first)
        .await
        .map_err(|f| (Step::Create, f))?;
    let (other, _, _) = driver
        .create(target, &collection, &second)
        .await
        .map_err(|f| (Step::Create, f))?;
    if other == id {
        return Err((Step::Create, fail(201, "two creates answered the same id")));
    }

    let Some(item_template) = &target.item else {
        return through_the_list(driver, target, &collection, &id, &body, outcome).await;
    };
    let item = driver
        .fill(item_template, Some(&id))
        .map_err(|(status, why)| (Step::Read, fail(status, why)))?;
    read(driver, &item, &id, &body)
        .await
        .map_err(|f| (Step::Read, f))?;

    if !target.alternate_keys.is_empty() {
        outcome.alternate_key = Some(alternate_keys(driver, target, &id, &body).await);
    }

    let Some(patch) = patch else {
        return Err((
            Step::Patch,
            fail(0, "the schema has no writable string or boolean property"),
        ));
    };
    let change = json!({ patch.name.clone(): patch.second.clone() });
    let (status, answer) = driver.send(Method::PATCH, &item, Some(&change)).await;
    if !matches!(status, 200 | 204) {
        return Err((Step::Patch, unexpected(status, &answer, "200 or 204")));
    }
    let mut patched = body.clone();
    patched.insert(patch.name.clone(), patch.second.clone());
    read(driver, &item, &id, &patched)
        .await
        .map_err(|f| (Step::ReadPatched, f))?;

    page(driver, &collection, &id)
        .await
        .map_err(|f| (Step::Page, f))?;

    let (status, answer) = driver.send(Method::DELETE, &item, None).await;
    if status != 204 {
        return Err((Step::Delete, unexpected(status, &answer, "204")));
    }
    let (status, answer) = driver.send(Method::GET, &item, None).await;
    if status != 404 {
        return Err((Step::Gone, unexpected(status, &answer, "404")));
    }
    Ok(())
}

/// GET a member: 200, the id, and every property in `expected`.
async fn read(
    driver: &Driver<'_>,
    url: &str,
    id: &str,
    expected: &Map<String, Value>,
) -> Result<(), Failure> {
    let (status, answer) = driver.send(Method::GET, url, None).await;
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
    driver: &Driver<'_>,
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
        let url = driver
            .fill(&concrete, None)
            .map_err(|(status, why)| fail(status, why))?;
        let (status, answer) = driver.send(Method::GET, &url, None).await;
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

/// Lists with `$top=1` and follows `@odata.nextLink` until the member shows up; answers it as
/// listed.
async fn page(driver: &Driver<'_>, collection: &str, id: &str) -> Result<Value, Failure> {
    match walk(driver, &format!("{collection}?$top=1"), id, true).await? {
        Some(found) => Ok(found),
        None => Err(fail(200, "not found on any page")),
    }
}

/// Walks a list from `url`, following `@odata.nextLink`, until the member `id` shows up
/// (answered as listed) or the pages end (`None`). With `top_one`, each page must hold at most
/// one member and the first must link to a next one.
async fn walk(
    driver: &Driver<'_>,
    url: &str,
    id: &str,
    top_one: bool,
) -> Result<Option<Value>, Failure> {
    let mut url = url.to_owned();
    for page in 0..200 {
        let (status, answer) = driver.send(Method::GET, &url, None).await;
        if status != 200 {
            return Err(unexpected(status, &answer, "200"));
        }
        let Some(items) = answer["value"].as_array() else {
            return Err(fail(status, format!("page {page} has no value array")));
        };
        let next = answer["@odata.nextLink"].as_str();
        if top_one && items.len() > 1 {
            return Err(fail(
                status,
                format!("$top=1 answered {} members", items.len()),
            ));
        }
        if top_one && page == 0 && next.is_none() {
            return Err(fail(
                status,
                "first $top=1 page of two or more members has no @odata.nextLink",
            ));
        }
        if let Some(found) = items.iter().find(|item| item["id"].as_str() == Some(id)) {
            return Ok(Some(found.clone()));
        }
        match next {
            Some(next) => url = next.to_owned(),
            None => return Ok(None),
        }
    }
    Err(fail(200, "more than 200 pages"))
}

/// The drive of a collection whose members the spec offers no `GET` (nor `PATCH`) on — only a
/// create, the list and the removal of a member's reference (`…/{id}/$ref`): the member is read
/// as the list shows it (found by `$top=1` paging, every property created), removed through its
/// reference, and then no longer listed. The patch steps are not offered, so not tried.
async fn through_the_list(
    driver: &Driver<'_>,
    target: &Target,
    collection: &str,
    id: &str,
    body: &Map<String, Value>,
    outcome: &mut Outcome,
) -> Result<(), (Step, Failure)> {
    outcome.note = Some(
        "no GET or PATCH on a member in the spec: read through the list, no patch, removed by $ref",
    );
    outcome.not_offered = &[Step::Patch, Step::ReadPatched];
    let listed = page(driver, collection, id)
        .await
        .map_err(|f| (Step::Read, f))?;
    for (name, value) in body {
        if listed.get(name) != Some(value) {
            return Err((
                Step::Read,
                fail(
                    200,
                    format!("listed {name} is {:?}, wanted {value}", listed.get(name)),
                ),
            ));
        }
    }
    let Some(member_ref) = &target.member_ref else {
        return Err((
            Step::Delete,
            fail(0, "the spec has no GET, DELETE or DELETE $ref on a member"),
        ));
    };
    let url = driver
        .fill(member_ref, Some(id))
        .map_err(|(status, why)| (Step::Delete, fail(status, why)))?;
    let (status, answer) = driver.send(Method::DELETE, &url, None).await;
    if status != 204 {
        return Err((Step::Delete, unexpected(status, &answer, "204")));
    }
    match walk(driver, collection, id, false).await {
        Ok(None) => Ok(()),
        Ok(Some(_)) => Err((Step::Gone, fail(200, "still listed after its removal"))),
        Err(f) => Err((Step::Gone, f)),
    }
}
