//! The vendor extensions graph-beta-rs reads, parsed strictly: a malformed extension is an
//! error naming its JSON pointer, never silently ignored.
//!
//! Project extensions (`x-graph-rs-*`, written by the slicer's overlays, see
//! `specs/PROVENANCE.md`):
//!
//! * `x-graph-rs-permissions` (operation): [`Permissions`];
//! * `x-graph-rs-national-clouds` (operation): [`NationalCloud`]s;
//! * `x-graph-rs-local-extension` (operation): [`LocalExtension`];
//! * `x-graph-rs-slice` (`info`): how the slicer cut the document, see [`slice_provenance`];
//! * `x-graph-rs-rules` (schema or operation): behaviour the emulator enforces that the
//!   OpenAPI vocabulary cannot say, see [`SchemaRules`] and [`OperationRules`].
//!
//! Microsoft's (`x-ms-*`): `x-ms-pageable` ([`Pageable`]), `x-ms-docs-operation-type`
//! ([`OperationType`]), `x-ms-docs-key-type`, `x-ms-navigationProperty`,
//! `x-ms-discriminator-value`.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::error::{Pointer, SpecError};

/// The member of `info` where the slicer (`cargo xtask slice`) records how a document was cut:
/// upstream repository, path, commit and date, the input files and their sha256, overlays.
pub const SLICE_PROVENANCE: &str = "x-graph-rs-slice";

/// The provenance a sliced document records in `info.x-graph-rs-slice`, if any.
pub fn slice_provenance(doc: &Value) -> Option<&Value> {
    doc.get("info")?.get(SLICE_PROVENANCE)
}

/// Extension maps as `openapiv3` stores them.
pub type Extensions = IndexMap<String, Value>;

/// `x-graph-rs-permissions`: documented permissions, least privileged first. An empty list
/// means "not supported".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    /// Delegated (work or school account).
    pub delegated_work_or_school: Vec<String>,
    /// Delegated (personal Microsoft account).
    pub delegated_personal: Vec<String>,
    /// Application.
    pub application: Vec<String>,
    /// Free-text notes.
    pub notes: Option<String>,
}

/// One of the national clouds Graph is deployed in, as `x-graph-rs-national-clouds` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NationalCloud {
    /// `global`.
    Global,
    /// `usGovL4`.
    UsGovL4,
    /// `usGovL5Dod`.
    UsGovL5Dod,
    /// `china`.
    China,
}

impl NationalCloud {
    /// Every cloud, in documentation order.
    pub const ALL: [NationalCloud; 4] = [
        NationalCloud::Global,
        NationalCloud::UsGovL4,
        NationalCloud::UsGovL5Dod,
        NationalCloud::China,
    ];

    /// The spelling in the spec.
    pub fn spec_name(self) -> &'static str {
        match self {
            NationalCloud::Global => "global",
            NationalCloud::UsGovL4 => "usGovL4",
            NationalCloud::UsGovL5Dod => "usGovL5Dod",
            NationalCloud::China => "china",
        }
    }

    /// The cloud a spec name stands for.
    pub fn from_spec_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.spec_name() == name)
    }
}

impl std::fmt::Display for NationalCloud {
    /// The spelling in the spec (`usGovL4`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.spec_name())
    }
}

/// `x-graph-rs-local-extension`: an operation carried by the slice that Microsoft's published
/// description lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalExtension {
    /// The upstream operation it is derived from (`derivedFrom`).
    pub derived_from: Option<String>,
    /// Why it exists (`reason`).
    pub reason: Option<String>,
}

/// `x-ms-pageable`: the operation returns a collection in pages linked by `nextLinkName`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pageable {
    /// The member holding the next page's URL (`@odata.nextLink`).
    pub next_link_name: String,
    /// `operationName`, if given (`listMore`).
    pub operation_name: Option<String>,
}

/// `x-ms-docs-operation-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationType {
    /// A plain CRUD operation on a resource (`operation`).
    Operation,
    /// An OData action (`action`).
    Action,
    /// An OData function (`function`).
    Function,
}

fn object<'v>(v: &'v Value, at: &Pointer) -> Result<&'v Map<String, Value>, SpecError> {
    v.as_object().ok_or_else(|| at.error("expected an object"))
}

fn refuse_unknown_keys(
    map: &Map<String, Value>,
    known: &[&str],
    at: &Pointer,
) -> Result<(), SpecError> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(at
            .push(unknown)
            .error(format!("unknown key; expected one of {}", known.join(", ")))),
        None => Ok(()),
    }
}

fn string_list(
    map: &Map<String, Value>,
    key: &str,
    at: &Pointer,
    what: &str,
) -> Result<Vec<String>, SpecError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                item.as_str().map(str::to_owned).ok_or_else(|| {
                    at.push(key)
                        .push(&i.to_string())
                        .error(format!("expected {what} (a string)"))
                })
            })
            .collect(),
        Some(_) => Err(at.push(key).error(format!("expected a list of {what}s"))),
    }
}

fn optional_string(
    map: &Map<String, Value>,
    key: &str,
    at: &Pointer,
) -> Result<Option<String>, SpecError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(at.push(key).error("expected a string")),
    }
}

/// `x-graph-rs-permissions` of an operation (`at` is the operation's pointer).
pub fn permissions(ext: &Extensions, at: &Pointer) -> Result<Option<Permissions>, SpecError> {
    let Some(v) = ext.get("x-graph-rs-permissions") else {
        return Ok(None);
    };
    let at = at.push("x-graph-rs-permissions");
    let map = object(v, &at)?;
    refuse_unknown_keys(
        map,
        &[
            "delegatedWorkOrSchool",
            "delegatedPersonal",
            "application",
            "notes",
        ],
        &at,
    )?;
    Ok(Some(Permissions {
        delegated_work_or_school: string_list(
            map,
            "delegatedWorkOrSchool",
            &at,
            "permission name",
        )?,
        delegated_personal: string_list(map, "delegatedPersonal", &at, "permission name")?,
        application: string_list(map, "application", &at, "permission name")?,
        notes: optional_string(map, "notes", &at)?,
    }))
}

/// `x-graph-rs-national-clouds` of an operation.
pub fn national_clouds(
    ext: &Extensions,
    at: &Pointer,
) -> Result<Option<Vec<NationalCloud>>, SpecError> {
    let Some(v) = ext.get("x-graph-rs-national-clouds") else {
        return Ok(None);
    };
    let at = at.push("x-graph-rs-national-clouds");
    let items = v
        .as_array()
        .ok_or_else(|| at.error("expected a list of national clouds"))?;
    let names: Vec<&str> = NationalCloud::ALL.iter().map(|c| c.spec_name()).collect();
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.as_str()
                .and_then(NationalCloud::from_spec_name)
                .ok_or_else(|| {
                    at.push(&i.to_string()).error(format!(
                        "unknown national cloud {item}; expected one of {}",
                        names.join(", ")
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// `x-graph-rs-local-extension` of an operation.
pub fn local_extension(
    ext: &Extensions,
    at: &Pointer,
) -> Result<Option<LocalExtension>, SpecError> {
    let Some(v) = ext.get("x-graph-rs-local-extension") else {
        return Ok(None);
    };
    let at = at.push("x-graph-rs-local-extension");
    let map = object(v, &at)?;
    refuse_unknown_keys(map, &["derivedFrom", "reason"], &at)?;
    Ok(Some(LocalExtension {
        derived_from: optional_string(map, "derivedFrom", &at)?,
        reason: optional_string(map, "reason", &at)?,
    }))
}

/// `x-ms-pageable` of an operation. `true` alone means the default `@odata.nextLink`.
pub fn pageable(ext: &Extensions, at: &Pointer) -> Result<Option<Pageable>, SpecError> {
    let Some(v) = ext.get("x-ms-pageable") else {
        return Ok(None);
    };
    let at = at.push("x-ms-pageable");
    match v {
        Value::Bool(false) | Value::Null => Ok(None),
        Value::Bool(true) => Ok(Some(Pageable {
            next_link_name: "@odata.nextLink".to_owned(),
            operation_name: None,
        })),
        Value::Object(map) => {
            refuse_unknown_keys(map, &["nextLinkName", "operationName", "itemName"], &at)?;
            Ok(Some(Pageable {
                next_link_name: optional_string(map, "nextLinkName", &at)?
                    .unwrap_or_else(|| "@odata.nextLink".to_owned()),
                operation_name: optional_string(map, "operationName", &at)?,
            }))
        }
        _ => Err(at.error("expected an object with nextLinkName")),
    }
}

/// `x-ms-docs-operation-type` of an operation; `None` when absent or not one Graph uses.
pub fn operation_type(ext: &Extensions) -> Option<OperationType> {
    match ext.get("x-ms-docs-operation-type")?.as_str()? {
        "operation" => Some(OperationType::Operation),
        "action" => Some(OperationType::Action),
        "function" => Some(OperationType::Function),
        _ => None,
    }
}

/// `x-ms-docs-key-type` of a path parameter: the entity type whose key it is (`servicePrincipal`).
pub fn key_type(ext: &Extensions) -> Option<&str> {
    ext.get("x-ms-docs-key-type")?.as_str()
}

/// `x-ms-navigationProperty: true` on a property schema.
pub fn is_navigation_property(ext: &Extensions) -> bool {
    ext.get("x-ms-navigationProperty").and_then(Value::as_bool) == Some(true)
}

/// `x-ms-discriminator-value` of a schema (`#microsoft.graph.user`).
pub fn discriminator_value(ext: &Extensions) -> Option<&str> {
    ext.get("x-ms-discriminator-value")?.as_str()
}

/// `x-graph-rs-rules` on a schema: what every object of the type must satisfy, beyond its
/// schema. Checked by the emulator after a create or an update is merged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaRules {
    /// `defaults`: the values an object of this type starts with (a singleton before its
    /// first write, an entity created without them).
    pub defaults: Map<String, Value>,
    /// `requiredWhen`: properties that must hold a value when another one has a given value.
    pub required_when: Vec<RequiredWhen>,
    /// `references`: properties whose value must be the id of an existing object.
    pub references: Vec<PropertyReference>,
    /// `keyAlso`: properties whose value also addresses an entity of this type in a key
    /// segment, besides its id (Graph reads `/users/{id | userPrincipalName}`).
    pub key_also: Vec<String>,
}

/// One `requiredWhen` rule: `property` must not be absent or `null` when `when` equals
/// `equals`.
#[derive(Debug, Clone, PartialEq)]
pub struct RequiredWhen {
    /// The property that becomes required.
    pub property: String,
    /// The property whose value triggers the rule.
    pub when: String,
    /// The triggering value.
    pub equals: Value,
    /// The error message (Graph's wording where known).
    pub message: String,
}

/// One `references` rule: a non-null `property` names an object of `type_name` (or a type
/// derived from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyReference {
    /// The property holding an id.
    pub property: String,
    /// The schema name of the referenced type (`microsoft.graph.group`).
    pub type_name: String,
}

/// `x-graph-rs-rules` on an operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationRules {
    /// `refTargets`: for a `$ref` add, the schema names of the types a reference may point at
    /// (a type derived from one counts); empty means any type the navigation property holds.
    pub ref_targets: Vec<String>,
    /// `refTargetMessage`: the message when another type is referenced.
    pub ref_target_message: Option<String>,
    /// `consistencyLevelFor`: query options (`$search`, `$count`) that Graph serves only as
    /// advanced queries, with the `ConsistencyLevel: eventual` header.
    pub consistency_level_for: Vec<String>,
}

/// `x-graph-rs-rules` of a schema (`at` is the schema's pointer).
pub fn schema_rules(ext: &Extensions, at: &Pointer) -> Result<Option<SchemaRules>, SpecError> {
    let Some(v) = ext.get("x-graph-rs-rules") else {
        return Ok(None);
    };
    let at = at.push("x-graph-rs-rules");
    let map = object(v, &at)?;
    refuse_unknown_keys(
        map,
        &["defaults", "requiredWhen", "references", "keyAlso"],
        &at,
    )?;
    let defaults = match map.get("defaults") {
        None => Map::new(),
        Some(d) => object(d, &at.push("defaults"))?.clone(),
    };
    let mut required_when = Vec::new();
    if let Some(list) = map.get("requiredWhen") {
        let list_at = at.push("requiredWhen");
        for (i, item) in list
            .as_array()
            .ok_or_else(|| list_at.error("expected a list"))?
            .iter()
            .enumerate()
        {
            let item_at = list_at.push(&i.to_string());
            let rule = object(item, &item_at)?;
            refuse_unknown_keys(rule, &["property", "when", "equals", "message"], &item_at)?;
            let need = |key: &str| {
                optional_string(rule, key, &item_at)?
                    .ok_or_else(|| item_at.error(format!("`{key}` is required")))
            };
            required_when.push(RequiredWhen {
                property: need("property")?,
                when: need("when")?,
                equals: rule
                    .get("equals")
                    .cloned()
                    .ok_or_else(|| item_at.error("`equals` is required"))?,
                message: need("message")?,
            });
        }
    }
    let mut references = Vec::new();
    if let Some(list) = map.get("references") {
        let list_at = at.push("references");
        for (i, item) in list
            .as_array()
            .ok_or_else(|| list_at.error("expected a list"))?
            .iter()
            .enumerate()
        {
            let item_at = list_at.push(&i.to_string());
            let rule = object(item, &item_at)?;
            refuse_unknown_keys(rule, &["property", "type"], &item_at)?;
            let need = |key: &str| {
                optional_string(rule, key, &item_at)?
                    .ok_or_else(|| item_at.error(format!("`{key}` is required")))
            };
            references.push(PropertyReference {
                property: need("property")?,
                type_name: need("type")?,
            });
        }
    }
    let mut key_also = Vec::new();
    if let Some(list) = map.get("keyAlso") {
        let list_at = at.push("keyAlso");
        for (i, item) in list
            .as_array()
            .ok_or_else(|| list_at.error("expected a list"))?
            .iter()
            .enumerate()
        {
            let name = item.as_str().ok_or_else(|| {
                list_at
                    .push(&i.to_string())
                    .error("expected a property name")
            })?;
            key_also.push(name.to_owned());
        }
    }
    Ok(Some(SchemaRules {
        defaults,
        required_when,
        references,
        key_also,
    }))
}

/// `x-graph-rs-rules` of an operation.
pub fn operation_rules(
    ext: &Extensions,
    at: &Pointer,
) -> Result<Option<OperationRules>, SpecError> {
    let Some(v) = ext.get("x-graph-rs-rules") else {
        return Ok(None);
    };
    let at = at.push("x-graph-rs-rules");
    let map = object(v, &at)?;
    refuse_unknown_keys(
        map,
        &["refTargets", "refTargetMessage", "consistencyLevelFor"],
        &at,
    )?;
    Ok(Some(OperationRules {
        ref_targets: string_list(map, "refTargets", &at, "schema name")?,
        ref_target_message: optional_string(map, "refTargetMessage", &at)?,
        consistency_level_for: string_list(map, "consistencyLevelFor", &at, "query option")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ext(v: Value) -> Extensions {
        v.as_object().unwrap().clone().into_iter().collect()
    }

    #[test]
    fn permissions_are_strict() {
        let at = Pointer::root();
        let p = permissions(
            &ext(json!({"x-graph-rs-permissions": {"delegatedWorkOrSchool": ["A"], "application": [], "notes": "n"}})),
            &at,
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.delegated_work_or_school, ["A"]);
        assert_eq!(p.notes.as_deref(), Some("n"));
        let err = permissions(
            &ext(json!({"x-graph-rs-permissions": {"delegated": ["A"]}})),
            &at,
        )
        .unwrap_err();
        assert_eq!(err.pointer, "/x-graph-rs-permissions/delegated");
        let err = permissions(
            &ext(json!({"x-graph-rs-permissions": {"application": [1]}})),
            &at,
        )
        .unwrap_err();
        assert_eq!(err.pointer, "/x-graph-rs-permissions/application/0");
        assert_eq!(permissions(&ext(json!({})), &at).unwrap(), None);
    }

    #[test]
    fn clouds_are_validated() {
        let at = Pointer::root();
        assert_eq!(
            national_clouds(
                &ext(json!({"x-graph-rs-national-clouds": ["global", "china"]})),
                &at
            )
            .unwrap(),
            Some(vec![NationalCloud::Global, NationalCloud::China])
        );
        let err = national_clouds(&ext(json!({"x-graph-rs-national-clouds": ["mars"]})), &at)
            .unwrap_err();
        assert_eq!(err.pointer, "/x-graph-rs-national-clouds/0");
    }

    #[test]
    fn pageable_and_types() {
        let at = Pointer::root();
        let p = pageable(&ext(json!({"x-ms-pageable": {"nextLinkName": "@odata.nextLink", "operationName": "listMore"}})), &at)
            .unwrap()
            .unwrap();
        assert_eq!(p.next_link_name, "@odata.nextLink");
        assert!(pageable(&ext(json!({"x-ms-pageable": 3})), &at).is_err());
        assert_eq!(
            operation_type(&ext(json!({"x-ms-docs-operation-type": "action"}))),
            Some(OperationType::Action)
        );
        assert!(is_navigation_property(&ext(
            json!({"x-ms-navigationProperty": true})
        )));
        assert_eq!(
            key_type(&ext(json!({"x-ms-docs-key-type": "user"}))),
            Some("user")
        );
    }

    #[test]
    fn rules_parse_and_refuse_typos() {
        let at = Pointer::root();
        let rules = schema_rules(
            &ext(json!({"x-graph-rs-rules": {
                "defaults": {"isEnabledForGroup": false},
                "requiredWhen": [{"property": "groupId", "when": "isEnabledForGroup", "equals": true, "message": "m"}],
                "references": [{"property": "groupId", "type": "microsoft.graph.group"}],
                "keyAlso": ["userPrincipalName"]
            }})),
            &at,
        )
        .unwrap()
        .unwrap();
        assert_eq!(rules.required_when[0].equals, json!(true));
        assert_eq!(rules.references[0].type_name, "microsoft.graph.group");
        assert_eq!(rules.key_also, ["userPrincipalName"]);
        let err =
            schema_rules(&ext(json!({"x-graph-rs-rules": {"keyAlso": [3]}})), &at).unwrap_err();
        assert_eq!(err.pointer, "/x-graph-rs-rules/keyAlso/0");
        let err =
            schema_rules(&ext(json!({"x-graph-rs-rules": {"requiredwhen": []}})), &at).unwrap_err();
        assert_eq!(err.pointer, "/x-graph-rs-rules/requiredwhen");
        let err = schema_rules(
            &ext(json!({"x-graph-rs-rules": {"requiredWhen": [{"property": "a"}]}})),
            &at,
        )
        .unwrap_err();
        assert_eq!(err.pointer, "/x-graph-rs-rules/requiredWhen/0");
        let op = operation_rules(
            &ext(json!({"x-graph-rs-rules": {"refTargets": ["microsoft.graph.user"]}})),
            &at,
        )
        .unwrap()
        .unwrap();
        assert_eq!(op.ref_targets, ["microsoft.graph.user"]);
    }
}
