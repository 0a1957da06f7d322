//! `cargo xtask spec-diff`: IR-level changes between two specs, each marked
//! breaking or additive.

mod common;

use codegen::spec_diff::{self, Impact};
use graph_slice as slice;
use serde_json::{Value, json};

fn committed_spec() -> String {
    std::fs::read_to_string(codegen::workspace::root().join(codegen::workspace::SPEC))
        .expect("spec")
}

/// The committed slice, changed by `edit` on its JSON form.
fn edited(edit: impl FnOnce(&mut Value)) -> String {
    let mut doc = slice::parse_yaml(&committed_spec(), "spec").expect("yaml");
    edit(&mut doc);
    slice::render(&doc, "").expect("render")
}

fn entries(report: &spec_diff::Report) -> Vec<(Impact, String, String)> {
    report
        .entries
        .iter()
        .map(|e| (e.impact, e.subject.clone(), e.change.clone()))
        .collect()
}

fn e(impact: Impact, subject: &str, change: &str) -> (Impact, String, String) {
    (impact, subject.to_owned(), change.to_owned())
}

const LIMITED_MODE_PROPS: &str =
    "/components/schemas/microsoft.graph.copilotAdminLimitedMode/allOf/1/properties";

#[test]
fn the_committed_slice_has_no_changes_against_itself() {
    let spec = committed_spec();
    let report = spec_diff::diff_texts(&spec, &spec).expect("diff");
    assert!(report.entries.is_empty(), "{:?}", report.entries);
    assert!(!report.has_breaking());
    assert!(
        report
            .render("a", "b")
            .contains("no changes visible in the generated Rust")
    );
}

#[test]
fn property_added_removed_and_nullability_changed_on_the_committed_slice() {
    let new = edited(|doc| {
        let props = doc
            .pointer_mut(LIMITED_MODE_PROPS)
            .and_then(Value::as_object_mut)
            .expect("props");
        props.shift_remove("groupId");
        props.insert(
            "meetingScope".into(),
            json!({"type": "string", "nullable": true}),
        );
        props["isEnabledForGroup"]
            .as_object_mut()
            .expect("prop")
            .shift_remove("nullable");
    });
    let report = spec_diff::diff_texts(&committed_spec(), &new).expect("diff");
    assert_eq!(
        entries(&report),
        [
            e(
                Impact::Breaking,
                "model CopilotAdminLimitedMode",
                "field `groupId` (group_id: Nullable<String>) removed"
            ),
            e(
                Impact::Breaking,
                "model CopilotAdminLimitedMode",
                "field `isEnabledForGroup` is no longer nullable (from Nullable<bool> to Option<bool>)"
            ),
            e(
                Impact::Additive,
                "model CopilotAdminLimitedMode",
                "field `meetingScope` (meeting_scope: Nullable<String>) added"
            ),
        ]
    );
    assert!(report.has_breaking());
    let text = report.render("old.yaml", "new.yaml");
    assert!(
        text.starts_with("spec-diff old.yaml -> new.yaml: 2 breaking, 1 additive\n"),
        "{text}"
    );
    let breaking_at = text.find("Breaking:").expect("breaking group");
    let additive_at = text.find("Additive:").expect("additive group");
    assert!(breaking_at < additive_at);
    assert!(text.contains("  - model CopilotAdminLimitedMode: field `meetingScope` (meeting_scope: Nullable<String>) added\n"));
    let json = report.to_json();
    assert_eq!(json["breaking"], 2);
    assert_eq!(json["additive"], 1);
    assert_eq!(json["entries"][0]["impact"], "breaking");
    assert_eq!(
        json["entries"][2]["subject"],
        "model CopilotAdminLimitedMode"
    );
}

#[test]
fn operation_changes_on_the_committed_slice() {
    let owners =
        "/servicePrincipals/{servicePrincipal-id}/microsoft.graph.agentIdentity/owners/$ref";
    let new = edited(|doc| {
        let paths = doc["paths"].as_object_mut().expect("paths");
        paths.shift_remove(owners);
        let patch = &mut paths["/copilot/admin/settings/limitedMode"]["patch"];
        patch["parameters"] =
            json!([{"name": "If-Match", "in": "header", "schema": {"type": "string"}}]);
        patch["x-graph-rs-national-clouds"] = json!(["global", "usGovL4"]);
        patch["responses"]["2XX"]["content"]["application/json"]["schema"] =
            json!({"$ref": "#/components/schemas/microsoft.graph.entity"});
    });
    let report = spec_diff::diff_texts(&committed_spec(), &new).expect("diff");
    let patch = "operation PATCH /copilot/admin/settings/limitedMode (copilot.admin.settings.UpdateLimitedMode)";
    assert_eq!(
        entries(&report),
        [
            // Entity has derived types in the slice, so a reference to it is polymorphic.
            e(
                Impact::Breaking,
                patch,
                "success type changed from CopilotAdminLimitedMode to AnyEntity"
            ),
            e(
                Impact::Breaking,
                patch,
                "optional header parameter `If-Match` (String) added: the first optional parameter makes the builder return a request wrapper"
            ),
            e(Impact::Additive, patch, "national cloud `usGovL4` added"),
            e(
                Impact::Breaking,
                &format!(
                    "operation POST {owners} (servicePrincipals.agentIdentity.CreateRefOwners)"
                ),
                "operation removed"
            ),
            e(
                Impact::Additive,
                "model AnyEntity",
                "polymorphic enum added"
            ),
        ]
    );
}

#[test]
fn an_operation_moved_or_renamed_is_breaking() {
    let new = edited(|doc| {
        let paths = doc["paths"].as_object_mut().expect("paths");
        let item = paths
            .shift_remove("/copilot/admin/settings/limitedMode")
            .expect("item");
        paths.insert("/copilot/admin/limitedMode".into(), item);
        let owners =
            "/servicePrincipals/{servicePrincipal-id}/microsoft.graph.agentIdentity/owners/$ref";
        paths[owners]["post"]["operationId"] = json!("servicePrincipals.agentIdentity.AddOwner");
    });
    let report = spec_diff::diff_texts(&committed_spec(), &new).expect("diff");
    let changes: Vec<String> = report.entries.iter().map(ToString::to_string).collect();
    assert_eq!(
        changes,
        [
            "operation GET /copilot/admin/settings/limitedMode (copilot.admin.settings.GetLimitedMode): operation moved to GET /copilot/admin/limitedMode",
            "operation PATCH /copilot/admin/settings/limitedMode (copilot.admin.settings.UpdateLimitedMode): operation moved to PATCH /copilot/admin/limitedMode",
            "operation POST /servicePrincipals/{servicePrincipal-id}/microsoft.graph.agentIdentity/owners/$ref (servicePrincipals.agentIdentity.AddOwner): operationId changed from `servicePrincipals.agentIdentity.CreateRefOwners` to `servicePrincipals.agentIdentity.AddOwner`",
        ]
    );
    assert!(report.entries.iter().all(|e| e.impact == Impact::Breaking));
}

#[test]
fn enums_params_and_retyping() {
    let old = common::spec(
        "/things:\n  get:\n    operationId: things.List\n    parameters:\n      - {name: $top, in: query, schema: {type: integer}}\n      - {name: $skip, in: query, schema: {type: integer}}\n    responses:\n      '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/thing'}}}}\n",
        "thing:\n  type: object\n  properties:\n    color: {$ref: '#/components/schemas/color'}\n    size: {type: integer, format: int32}\n    tags: {type: array, items: {type: string}}\ncolor:\n  type: string\n  enum: [red, green]\nlegacy:\n  type: object\n  properties:\n    x: {type: string}\n",
    );
    let new = common::spec(
        "/things:\n  get:\n    operationId: things.List\n    parameters:\n      - {name: $top, in: query, required: true, schema: {type: integer}}\n      - {name: $filter, in: query, schema: {type: string}}\n    responses:\n      '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/thing'}}}}\n",
        "thing:\n  type: object\n  properties:\n    color: {$ref: '#/components/schemas/color'}\n    size: {type: integer, format: int64}\n    tags: {type: array, items: {type: string}}\ncolor:\n  type: string\n  enum: [red, blue]\nextra:\n  type: object\n  properties:\n    y: {type: string}\n",
    );
    let report = spec_diff::diff_texts(&old, &new).expect("diff");
    let op = "operation GET /things (things.List)";
    assert_eq!(
        entries(&report),
        [
            e(
                Impact::Breaking,
                op,
                "query parameter `$top` now required (the builder method's arguments change)"
            ),
            e(Impact::Breaking, op, "query parameter `$skip` removed"),
            e(
                Impact::Additive,
                op,
                "optional query parameter `$filter` (String) added"
            ),
            e(
                Impact::Breaking,
                "model Color",
                "enum member `green` (Green) removed"
            ),
            e(
                Impact::Additive,
                "model Color",
                "enum member `blue` (Blue) added"
            ),
            e(Impact::Additive, "model Extra", "struct added"),
            e(Impact::Breaking, "model Legacy", "struct removed"),
            e(
                Impact::Breaking,
                "model Thing",
                "field `size` retyped from Option<i32> to Option<i64>"
            ),
        ]
    );
}

#[test]
fn unparsable_specs_are_errors_naming_the_side() {
    let err =
        spec_diff::diff_texts("openapi: 3.0.1\ninfo: [", &committed_spec()).expect_err("error");
    assert!(err.message.starts_with("old spec:"), "{err}");
    let err = spec_diff::diff_texts(
        &committed_spec(),
        "openapi: 3.1.0\ninfo: {title: t, version: v}\npaths: {}",
    )
    .expect_err("error");
    assert!(err.message.starts_with("new spec:"), "{err}");
}

#[test]
fn builder_renames_are_reported() {
    // A segment renamed: the operations move (reported as such); builders of paths that exist
    // on both sides are compared by name.
    let new = edited(|doc| {
        let paths = doc["paths"].as_object_mut().expect("paths");
        let item = paths
            .shift_remove("/copilot/admin/settings/limitedMode")
            .expect("item");
        paths.insert("/copilot/administration/settings/limitedMode".into(), item);
    });
    let report = spec_diff::diff_texts(&committed_spec(), &new).expect("diff");
    let changes: Vec<String> = report.entries.iter().map(ToString::to_string).collect();
    assert!(
        changes.iter().any(
            |c| c.starts_with("operation GET /copilot/admin/settings/limitedMode")
                && c.contains("moved")
        ),
        "{changes:#?}"
    );
    // Paths that exist on both sides keep their builders: nothing reported for /copilot.
    assert!(
        !changes
            .iter()
            .any(|c| c.starts_with("builder for /copilot:")),
        "{changes:#?}"
    );
    let mut old_api = codegen::lower_spec(&committed_spec()).expect("lower");
    let new_api = old_api.clone();
    old_api.tree.children[0].builder = "OldCopilotRequestBuilder".into();
    let report = spec_diff::diff(&old_api, &new_api);
    let changes: Vec<String> = report.entries.iter().map(ToString::to_string).collect();
    assert_eq!(
        changes,
        ["builder for /copilot: renamed from OldCopilotRequestBuilder to CopilotRequestBuilder"]
    );
}
