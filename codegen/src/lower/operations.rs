//! Paths and operations → IR operations.

use std::collections::BTreeSet;

use openapiv3::{
    MediaType, Operation as OaOperation, Parameter, ParameterSchemaOrContent, PathItem,
    ReferenceOr, RequestBody, Response, StatusCode,
};
use indexmap::IndexMap;

use super::Lowerer;
use super::schemas::SchemaView;
use crate::error::{CodegenError, Pointer};
use crate::ir::{
    Body, ModelKind, Operation, Param, ParamLocation, Permissions, Segment, Success, TypeRef,
};
use crate::naming::{self, Scope};

/// The national clouds `x-graph-rs-national-clouds` may name.
pub const NATIONAL_CLOUDS: &[&str] = &["global", "usGovL4", "usGovL5Dod", "china"];

impl<'a> Lowerer<'a> {
    /// Lowers every operation; one that cannot be expressed is skipped and
    /// reported as a diagnostic.
    pub(crate) fn lower_operations(&mut self) -> Result<Vec<Operation>, CodegenError> {
        let mut ops = Vec::new();
        let mut ids = Scope::new();
        let mut statics = Scope::new();
        let paths = Pointer::root().push("paths");
        for (path, item) in &self.doc.paths.paths {
            let path_at = paths.push(path);
            let item = match item {
                ReferenceOr::Item(item) => item,
                ReferenceOr::Reference { reference } => {
                    self.diagnostic(path_at.as_str(), format!("path item $ref `{reference}` is not supported; skipped"));
                    continue;
                }
            };
            for (method_name, method, op) in methods(item) {
                let op_at = path_at.push(method_name);
                match self.lower_operation(path, item, method, op, &op_at) {
                    Ok(mut lowered) => {
                        let id = ids.unique_snake(lowered.id.clone());
                        if id != lowered.id {
                            self.diagnostic(
                                op_at.push("operationId").as_str(),
                                format!("duplicate operationId `{}` renamed `{id}`", lowered.id),
                            );
                            lowered.id = id;
                        }
                        lowered.meta_ident = statics.unique_snake(naming::screaming(&lowered.id));
                        ops.push(lowered);
                    }
                    Err(e) => self.diagnostic(&e.pointer, format!("operation skipped: {}", e.message)),
                }
            }
            for (name, present) in [("head", item.head.is_some()), ("options", item.options.is_some()), ("trace", item.trace.is_some())] {
                if present {
                    self.diagnostic(path_at.push(name).as_str(), format!("{name} operations are not generated"));
                }
            }
        }
        ops.sort_by(|a, b| (&a.path_template, a.method).cmp(&(&b.path_template, b.method)));
        Ok(ops)
    }

    fn lower_operation(
        &mut self,
        path: &str,
        item: &'a PathItem,
        method: crate::ir::Method,
        op: &'a OaOperation,
        at: &Pointer,
    ) -> Result<Operation, CodegenError> {
        let id = op
            .operation_id
            .clone()
            .unwrap_or_else(|| format!("{}{}", method.lower(), naming::pascal(path)));
        let segments = parse_path(path, at)?;

        // Operation parameters override path-item ones with the same name and location.
        let mut merged: Vec<(&'a Parameter, Pointer)> = Vec::new();
        for (i, p) in item.parameters.iter().enumerate() {
            let p_at = Pointer::root().push("paths").push(path).push("parameters").push(&i.to_string());
            merged.push((self.resolve_parameter(p, &p_at)?, p_at));
        }
        for (i, p) in op.parameters.iter().enumerate() {
            let p_at = at.push("parameters").push(&i.to_string());
            let resolved = self.resolve_parameter(p, &p_at)?;
            let key = param_key(resolved);
            merged.retain(|(existing, _)| param_key(existing) != key);
            merged.push((resolved, p_at));
        }

        let hint = naming::pascal_words(&id);
        let mut scope = Scope::new();
        for reserved in ["body", "self_"] {
            scope.reserve(reserved);
        }
        let mut params = Vec::new();
        let mut path_params = Vec::new();
        for (p, p_at) in &merged {
            let (data, location) = match p {
                Parameter::Path { parameter_data, .. } => (parameter_data, ParamLocation::Path),
                Parameter::Query { parameter_data, .. } => (parameter_data, ParamLocation::Query),
                Parameter::Header { parameter_data, .. } => (parameter_data, ParamLocation::Header),
                Parameter::Cookie { parameter_data, .. } => {
                    if parameter_data.required {
                        return Err(p_at.error("required cookie parameters are not supported"));
                    }
                    self.diagnostic(p_at.as_str(), format!("cookie parameter `{}` not generated", parameter_data.name));
                    continue;
                }
            };
            let ty = match &data.format {
                ParameterSchemaOrContent::Schema(s) => {
                    let param_hint = format!("{hint}{}", naming::pascal_words(&data.name));
                    self.lower_type(SchemaView::from(s), &p_at.push("schema"), &param_hint)?.ty
                }
                ParameterSchemaOrContent::Content(_) => TypeRef::String,
            };
            if !param_type_supported(&ty, self) {
                return Err(p_at.error(format!("parameter `{}` has a type that cannot be sent as text", data.name)));
            }
            let param = Param {
                name: data.name.clone(),
                rust_name: scope.unique_snake(naming::snake(&data.name)),
                location,
                required: data.required || location == ParamLocation::Path,
                ty,
                docs: data.description.clone(),
            };
            if location == ParamLocation::Path {
                path_params.push(param);
            } else {
                params.push(param);
            }
        }
        // Every `{name}` segment needs a declared path parameter, and vice versa.
        let mut declared: BTreeSet<&str> = path_params.iter().map(|p| p.name.as_str()).collect();
        let mut ordered = Vec::new();
        let in_path = segments.iter().flat_map(|segment| match segment {
            Segment::Param(name) => vec![name.clone()],
            Segment::Template { params, .. } => params.clone(),
            Segment::Literal(_) => Vec::new(),
        });
        for name in in_path {
            if !declared.remove(name.as_str()) {
                return Err(at.error(format!("path segment `{{{name}}}` has no path parameter declared")));
            }
            if let Some(p) = path_params.iter().find(|p| p.name == name) {
                ordered.push(p.clone());
            }
        }
        if let Some(extra) = declared.into_iter().next() {
            return Err(at.error(format!("path parameter `{extra}` does not appear in the path")));
        }

        let body = match &op.request_body {
            None => None,
            Some(b) => Some(self.lower_body(b, &at.push("requestBody"), &format!("{hint}RequestBody"))?),
        };
        let (success, error_codes) = self.lower_responses(&op.responses.responses, op.responses.default.as_ref(), &at.push("responses"), &hint)?;

        let ext = &op.extensions;
        let permissions = match ext.get("x-graph-rs-permissions") {
            None => None,
            Some(v) => Some(parse_permissions(v, &at.push("x-graph-rs-permissions"))?),
        };
        let national_clouds = match ext.get("x-graph-rs-national-clouds") {
            None => None,
            Some(v) => Some(parse_clouds(v, &at.push("x-graph-rs-national-clouds"))?),
        };
        let local_extension = ext.get("x-graph-rs-local-extension").map(|v| {
            v.get("derivedFrom")
                .and_then(|d| d.as_str())
                .map(str::to_owned)
                .unwrap_or_else(|| "a local extension of the upstream description".to_owned())
        });

        Ok(Operation {
            id,
            meta_ident: String::new(),
            method,
            path_template: path.to_owned(),
            segments,
            params,
            path_params: ordered,
            body,
            success,
            error_codes,
            summary: op.summary.clone(),
            description: op.description.clone(),
            docs_url: op.external_docs.as_ref().map(|d| d.url.clone()),
            permissions,
            national_clouds,
            local_extension,
            tags: op.tags.clone(),
            pointer: at.as_str().to_owned(),
        })
    }

    fn resolve_parameter(&self, p: &'a ReferenceOr<Parameter>, at: &Pointer) -> Result<&'a Parameter, CodegenError> {
        match p {
            ReferenceOr::Item(p) => Ok(p),
            ReferenceOr::Reference { reference } => {
                let name = reference
                    .strip_prefix("#/components/parameters/")
                    .ok_or_else(|| at.error(format!("unsupported parameter $ref `{reference}`")))?;
                match self.doc.components.as_ref().and_then(|c| c.parameters.get(name)) {
                    Some(ReferenceOr::Item(p)) => Ok(p),
                    Some(ReferenceOr::Reference { .. }) => Err(at.error(format!("parameter `{name}` is itself a $ref; not supported"))),
                    None => Err(at.error(format!("unresolved $ref `{reference}`"))),
                }
            }
        }
    }

    fn lower_body(&mut self, b: &'a ReferenceOr<RequestBody>, at: &Pointer, hint: &str) -> Result<Body, CodegenError> {
        let (body, body_at) = match b {
            ReferenceOr::Item(b) => (b, at.clone()),
            ReferenceOr::Reference { reference } => {
                let name = reference
                    .strip_prefix("#/components/requestBodies/")
                    .ok_or_else(|| at.error(format!("unsupported requestBody $ref `{reference}`")))?;
                match self.doc.components.as_ref().and_then(|c| c.request_bodies.get(name)) {
                    Some(ReferenceOr::Item(b)) => (b, Pointer::root().push("components").push("requestBodies").push(name)),
                    _ => return Err(at.error(format!("unresolved $ref `{reference}`"))),
                }
            }
        };
        let Some((media_key, media)) = json_media(&body.content) else {
            let raw = body
                .content
                .keys()
                .next()
                .ok_or_else(|| body_at.push("content").error("request body without any media type"))?;
            return Ok(Body {
                ty: TypeRef::Json,
                raw_media: Some(raw.clone()),
                required: body.required,
                docs: body.description.clone(),
            });
        };
        let schema = media
            .schema
            .as_ref()
            .ok_or_else(|| body_at.push("content").push(media_key).error("JSON request body without a schema"))?;
        let ty = self
            .lower_type(SchemaView::from(schema), &body_at.push("content").push(media_key).push("schema"), hint)?
            .ty;
        Ok(Body {
            ty,
            raw_media: None,
            required: body.required,
            docs: body.description.clone(),
        })
    }

    fn resolve_response(&self, r: &'a ReferenceOr<Response>, at: &Pointer) -> Result<(&'a Response, Pointer), CodegenError> {
        match r {
            ReferenceOr::Item(r) => Ok((r, at.clone())),
            ReferenceOr::Reference { reference } => {
                let name = reference
                    .strip_prefix("#/components/responses/")
                    .ok_or_else(|| at.error(format!("unsupported response $ref `{reference}`")))?;
                match self.doc.components.as_ref().and_then(|c| c.responses.get(name)) {
                    Some(ReferenceOr::Item(r)) => Ok((r, Pointer::root().push("components").push("responses").push(name))),
                    _ => Err(at.error(format!("unresolved $ref `{reference}`"))),
                }
            }
        }
    }

    /// Success is the first 2xx code or `2XX` range; `default` counts as
    /// success only when no 2xx entry exists. Everything else is an error
    /// code, handled by the runtime's typed error.
    fn lower_responses(
        &mut self,
        responses: &'a IndexMap<StatusCode, ReferenceOr<Response>>,
        default: Option<&'a ReferenceOr<Response>>,
        at: &Pointer,
        hint: &str,
    ) -> Result<(Success, Vec<String>), CodegenError> {
        let mut success_entries = Vec::new();
        let mut errors = Vec::new();
        for (code, r) in responses {
            let is_success = match code {
                StatusCode::Code(c) => (200..300).contains(c),
                StatusCode::Range(r) => *r == 2,
            };
            if is_success {
                success_entries.push((code.to_string(), r));
            } else if matches!(code, StatusCode::Code(c) if *c >= 400) || matches!(code, StatusCode::Range(4 | 5)) {
                errors.push(code.to_string());
            }
        }
        if let Some(d) = default {
            if success_entries.is_empty() {
                success_entries.push(("default".to_owned(), d));
            } else {
                errors.push("default".to_owned());
            }
        }
        if success_entries.is_empty() {
            return Err(at.error("no success response (2xx, 2XX or default)"));
        }
        // Prefer an entry with a body: `200` with JSON next to `204` gives the model.
        let mut success = Success::Empty;
        for (code, r) in success_entries {
            let (response, r_at) = self.resolve_response(r, &at.push(&code))?;
            if response.content.is_empty() {
                continue;
            }
            let Some((media_key, media)) = json_media(&response.content) else {
                success = self.non_json_success(response, &r_at, hint)?;
                break;
            };
            let Some(schema) = &media.schema else { continue };
            let ty = self
                .lower_type(SchemaView::from(schema), &r_at.push("content").push(media_key).push("schema"), &format!("{hint}Response"))?
                .ty;
            let unwrap_value = match &ty {
                TypeRef::Named(n) => matches!(self.models.get(n).map(|m| &m.kind), Some(ModelKind::Struct(s)) if !s.has_value_member()),
                _ => false,
            };
            success = Success::Json { ty, unwrap_value };
            break;
        }
        Ok((success, errors))
    }
}

impl<'a> Lowerer<'a> {
    /// `text/plain` parses into a scalar; any other media type is bytes.
    fn non_json_success(&mut self, response: &'a Response, at: &Pointer, hint: &str) -> Result<Success, CodegenError> {
        if let Some(media) = response.content.get("text/plain") {
            let media_at = at.push("content").push("text/plain");
            let ty = match &media.schema {
                Some(schema) => self.lower_type(SchemaView::from(schema), &media_at.push("schema"), &format!("{hint}Response"))?.ty,
                None => TypeRef::String,
            };
            if !self.is_text_scalar(&ty) {
                return Err(media_at.error("a text/plain response must be a string, number or boolean"));
            }
            return Ok(Success::Text { ty });
        }
        let media = response.content.keys().next().cloned().unwrap_or_default();
        Ok(Success::Bytes { media })
    }

    fn is_text_scalar(&self, ty: &TypeRef) -> bool {
        match ty {
            TypeRef::String | TypeRef::Bool | TypeRef::Int(_) | TypeRef::F32 | TypeRef::F64 => true,
            TypeRef::Named(n) => match self.models.get(n).map(|m| &m.kind) {
                Some(ModelKind::Alias(inner)) => self.is_text_scalar(inner),
                _ => false,
            },
            _ => false,
        }
    }
}

fn methods(item: &PathItem) -> Vec<(&'static str, crate::ir::Method, &OaOperation)> {
    use crate::ir::Method;
    [
        ("get", Method::Get, &item.get),
        ("put", Method::Put, &item.put),
        ("post", Method::Post, &item.post),
        ("patch", Method::Patch, &item.patch),
        ("delete", Method::Delete, &item.delete),
    ]
    .into_iter()
    .filter_map(|(n, m, op)| op.as_ref().map(|op| (n, m, op)))
    .collect()
}

fn param_key(p: &Parameter) -> (String, u8) {
    match p {
        Parameter::Path { parameter_data, .. } => (parameter_data.name.clone(), 0),
        Parameter::Query { parameter_data, .. } => (parameter_data.name.clone(), 1),
        Parameter::Header { parameter_data, .. } => (parameter_data.name.to_ascii_lowercase(), 2),
        Parameter::Cookie { parameter_data, .. } => (parameter_data.name.clone(), 3),
    }
}

/// Path and query values are sent as text: scalars, string enums, and
/// arrays of those (comma-joined).
fn param_type_supported(ty: &TypeRef, lowerer: &Lowerer<'_>) -> bool {
    match ty {
        TypeRef::String | TypeRef::Bool | TypeRef::Int(_) | TypeRef::F32 | TypeRef::F64 => true,
        TypeRef::Named(n) => matches!(lowerer.models.get(n).map(|m| &m.kind), Some(ModelKind::Enum(_))),
        TypeRef::Array(inner, _) => !matches!(**inner, TypeRef::Array(..)) && param_type_supported(inner, lowerer),
        _ => false,
    }
}

/// The JSON media type of a content map (`application/json`, or any
/// `…json…` type such as `application/json; odata.metadata=minimal`).
fn json_media(content: &IndexMap<String, MediaType>) -> Option<(&String, &MediaType)> {
    content
        .iter()
        .find(|(k, _)| k.as_str() == "application/json")
        .or_else(|| content.iter().find(|(k, _)| k.contains("json")))
}

/// Splits a path template into segments. A segment is a literal or exactly
/// one `{parameter}`; parameters embedded in a literal (alternate keys such
/// as `applications(appId='{appId}')`, function arguments) are refused.
pub(crate) fn parse_path(path: &str, at: &Pointer) -> Result<Vec<Segment>, CodegenError> {
    if !path.starts_with('/') {
        return Err(at.error("path does not start with `/`"));
    }
    let mut segments = Vec::new();
    for raw in path.split('/').skip(1) {
        if raw.is_empty() {
            if path == "/" {
                break;
            }
            return Err(at.error("empty path segment (`//`)"));
        }
        if let Some(name) = raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            if name.is_empty() || name.contains(['{', '}']) {
                return Err(at.error(format!("malformed path parameter segment `{raw}`")));
            }
            segments.push(Segment::Param(name.to_owned()));
        } else if raw.contains(['{', '}']) {
            segments.push(parse_template(raw, at)?);
        } else if raw == "." || raw == ".." {
            return Err(at.error(format!("dot segment `{raw}` in path")));
        } else {
            segments.push(Segment::Literal(raw.to_owned()));
        }
    }
    Ok(segments)
}

/// A segment with parameters inside literal text: `name(key='{key}')`.
fn parse_template(raw: &str, at: &Pointer) -> Result<Segment, CodegenError> {
    let mut params = Vec::new();
    let mut rest = raw;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| at.error(format!("unclosed `{{` in path segment `{raw}`")))?;
        let name = &after[..close];
        if name.is_empty() || name.contains('{') {
            return Err(at.error(format!("malformed parameter in path segment `{raw}`")));
        }
        params.push(name.to_owned());
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(at.error(format!("unmatched `}}` in path segment `{raw}`")));
    }
    Ok(Segment::Template {
        template: raw.to_owned(),
        params,
    })
}

fn string_list(v: &serde_json::Value, key: &str, at: &Pointer) -> Result<Vec<String>, CodegenError> {
    match v.get(key) {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| at.push(key).push(&i.to_string()).error("expected a permission name (string)"))
            })
            .collect(),
        Some(_) => Err(at.push(key).error("expected a list of permission names")),
    }
}

fn parse_permissions(v: &serde_json::Value, at: &Pointer) -> Result<Permissions, CodegenError> {
    let obj = v.as_object().ok_or_else(|| at.error("expected an object"))?;
    const KEYS: &[&str] = &["delegatedWorkOrSchool", "delegatedPersonal", "application", "notes"];
    if let Some(unknown) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(at.push(unknown).error(format!("unknown key; expected one of {}", KEYS.join(", "))));
    }
    Ok(Permissions {
        delegated_work_or_school: string_list(v, "delegatedWorkOrSchool", at)?,
        delegated_personal: string_list(v, "delegatedPersonal", at)?,
        application: string_list(v, "application", at)?,
        notes: obj.get("notes").and_then(|n| n.as_str()).map(str::to_owned),
    })
}

fn parse_clouds(v: &serde_json::Value, at: &Pointer) -> Result<Vec<String>, CodegenError> {
    let items = v.as_array().ok_or_else(|| at.error("expected a list of national clouds"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item.as_str() {
            Some(c) if NATIONAL_CLOUDS.contains(&c) => Ok(c.to_owned()),
            _ => Err(at.push(&i.to_string()).error(format!(
                "unknown national cloud {item}; expected one of {}",
                NATIONAL_CLOUDS.join(", ")
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_literals_and_params() {
        let at = Pointer::root();
        let segs = parse_path("/servicePrincipals/{servicePrincipal-id}/microsoft.graph.agentIdentity/owners/$ref", &at).unwrap();
        assert_eq!(segs.len(), 5);
        assert_eq!(segs[1], Segment::Param("servicePrincipal-id".into()));
        assert_eq!(segs[4], Segment::Literal("$ref".into()));
        assert_eq!(
            parse_path("/applications(appId='{appId}')", &at).unwrap(),
            [Segment::Template { template: "applications(appId='{appId}')".into(), params: vec!["appId".into()] }]
        );
        assert!(parse_path("/f(a='{x')", &at).is_err());
        assert!(parse_path("/a//b", &at).is_err());
        assert!(parse_path("/a/../b", &at).is_err());
        assert!(parse_path("no-slash", &at).is_err());
    }

    #[test]
    fn clouds_are_validated() {
        let at = Pointer::root();
        assert!(parse_clouds(&serde_json::json!(["global"]), &at).is_ok());
        let err = parse_clouds(&serde_json::json!(["mars"]), &at).unwrap_err();
        assert_eq!(err.pointer, "/0");
    }
}
