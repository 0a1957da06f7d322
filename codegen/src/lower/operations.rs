//! Paths and operations → IR operations.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use openapiv3::{
    MediaType, Operation as OaOperation, Parameter, ParameterSchemaOrContent, PathItem,
    ReferenceOr, RequestBody, Response, StatusCode,
};

use graph_spec::template::parse_path;
use graph_spec::{extensions, refs};

use super::Lowerer;
use super::schemas::SchemaView;
use crate::error::{Pointer, SpecError};
use crate::ir::{Body, ModelKind, Operation, Param, ParamLocation, Segment, Success, TypeRef};
use crate::naming::{self, Scope};

impl<'a> Lowerer<'a> {
    /// Lowers every operation; one that cannot be expressed is skipped and
    /// reported as a diagnostic.
    pub(crate) fn lower_operations(&mut self) -> Result<Vec<Operation>, SpecError> {
        let mut ops = Vec::new();
        let mut ids = Scope::new();
        let mut statics = Scope::new();
        let paths = Pointer::root().push("paths");
        for (path, item) in &self.doc.paths.paths {
            let path_at = paths.push(path);
            let item = match item {
                ReferenceOr::Item(item) => item,
                ReferenceOr::Reference { reference } => {
                    self.diagnostic(
                        path_at.as_str(),
                        format!("path item $ref `{reference}` is not supported; skipped"),
                    );
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
                    Err(e) => {
                        self.diagnostic(&e.pointer, format!("operation skipped: {}", e.message))
                    }
                }
            }
            for (name, present) in [
                ("head", item.head.is_some()),
                ("options", item.options.is_some()),
                ("trace", item.trace.is_some()),
            ] {
                if present {
                    self.diagnostic(
                        path_at.push(name).as_str(),
                        format!("{name} operations are not generated"),
                    );
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
        method: crate::ir::HttpMethod,
        op: &'a OaOperation,
        at: &Pointer,
    ) -> Result<Operation, SpecError> {
        let id = op
            .operation_id
            .clone()
            .unwrap_or_else(|| format!("{}{}", method.lower(), naming::pascal(path)));
        let segments = parse_path(path, at)?;
        let merged = self.merged_parameters(path, item, op, at)?;
        let hint = naming::pascal_words(&id);
        let (params, path_params) = self.lower_parameters(&merged, &hint)?;
        let ordered = order_path_params(&segments, &path_params, at)?;

        let body = match &op.request_body {
            None => None,
            Some(b) => {
                Some(self.lower_body(b, &at.push("requestBody"), &format!("{hint}RequestBody"))?)
            }
        };
        let (success, error_codes) = self.lower_responses(
            &op.responses.responses,
            op.responses.default.as_ref(),
            &at.push("responses"),
            &hint,
        )?;
        let success = match extensions::pageable(&op.extensions, at)? {
            Some(pageable) => self.page_of(success, pageable.next_link_name, at),
            None => success,
        };

        let ext = &op.extensions;
        let permissions = extensions::permissions(ext, at)?;
        let national_clouds = extensions::national_clouds(ext, at)?;
        let local_extension = extensions::local_extension(ext, at)?.map(|l| {
            l.derived_from
                .unwrap_or_else(|| "a local extension of the upstream description".to_owned())
        });
        extensions::operation_rules(ext, at)?;

        let kind = crate::ir::OperationKind::of(method, segments.last());
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
            wrapper: None,
            area: String::new(),
            kind,
            tags: op.tags.clone(),
            pointer: at.as_str().to_owned(),
        })
    }

    /// The parameters of an operation: the path item's, then the operation's, which override
    /// path-item ones with the same name and location.
    fn merged_parameters(
        &self,
        path: &str,
        item: &'a PathItem,
        op: &'a OaOperation,
        at: &Pointer,
    ) -> Result<Vec<(&'a Parameter, Pointer)>, SpecError> {
        let mut merged: Vec<(&'a Parameter, Pointer)> = Vec::new();
        for (i, p) in item.parameters.iter().enumerate() {
            let p_at = Pointer::root()
                .push("paths")
                .push(path)
                .push("parameters")
                .push(&i.to_string());
            merged.push((self.resolve_parameter(p, &p_at)?, p_at));
        }
        for (i, p) in op.parameters.iter().enumerate() {
            let p_at = at.push("parameters").push(&i.to_string());
            let resolved = self.resolve_parameter(p, &p_at)?;
            let key = param_key(resolved);
            merged.retain(|(existing, _)| param_key(existing) != key);
            merged.push((resolved, p_at));
        }

        Ok(merged)
    }

    /// Lowers merged parameters (`hint` names inline types): query and header ones, then path
    /// ones in declaration order. Optional cookie parameters are skipped with a diagnostic.
    fn lower_parameters(
        &mut self,
        merged: &[(&'a Parameter, Pointer)],
        hint: &str,
    ) -> Result<(Vec<Param>, Vec<Param>), SpecError> {
        let mut scope = Scope::new();
        for reserved in ["body", "self_"] {
            scope.reserve(reserved);
        }
        let mut params = Vec::new();
        let mut path_params = Vec::new();
        for (p, p_at) in merged {
            let (data, location) = match p {
                Parameter::Path { parameter_data, .. } => (parameter_data, ParamLocation::Path),
                Parameter::Query { parameter_data, .. } => (parameter_data, ParamLocation::Query),
                Parameter::Header { parameter_data, .. } => (parameter_data, ParamLocation::Header),
                Parameter::Cookie { parameter_data, .. } => {
                    if parameter_data.required {
                        return Err(p_at.error("required cookie parameters are not supported"));
                    }
                    self.diagnostic(
                        p_at.as_str(),
                        format!("cookie parameter `{}` not generated", parameter_data.name),
                    );
                    continue;
                }
            };
            let ty = match &data.format {
                ParameterSchemaOrContent::Schema(s) => {
                    let param_hint = format!("{hint}{}", naming::pascal_words(&data.name));
                    self.lower_type(SchemaView::from(s), &p_at.push("schema"), &param_hint)?
                        .ty
                }
                ParameterSchemaOrContent::Content(_) => TypeRef::String,
            };
            if !param_type_supported(&ty, self) {
                return Err(p_at.error(format!(
                    "parameter `{}` has a type that cannot be sent as text",
                    data.name
                )));
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
        Ok((params, path_params))
    }

    fn resolve_parameter(
        &self,
        p: &'a ReferenceOr<Parameter>,
        at: &Pointer,
    ) -> Result<&'a Parameter, SpecError> {
        refs::parameter(self.doc, p, at)
    }

    fn lower_body(
        &mut self,
        b: &'a ReferenceOr<RequestBody>,
        at: &Pointer,
        hint: &str,
    ) -> Result<Body, SpecError> {
        let (body, body_at) = refs::request_body(self.doc, b, at)?;
        let Some((media_key, media)) = json_media(&body.content) else {
            let raw = body.content.keys().next().ok_or_else(|| {
                body_at
                    .push("content")
                    .error("request body without any media type")
            })?;
            return Ok(Body {
                ty: TypeRef::Json,
                raw_media: Some(raw.clone()),
                required: body.required,
                docs: body.description.clone(),
            });
        };
        let schema = media.schema.as_ref().ok_or_else(|| {
            body_at
                .push("content")
                .push(media_key)
                .error("JSON request body without a schema")
        })?;
        let ty = self
            .lower_type(
                SchemaView::from(schema),
                &body_at.push("content").push(media_key).push("schema"),
                hint,
            )?
            .ty;
        Ok(Body {
            ty,
            raw_media: None,
            required: body.required,
            docs: body.description.clone(),
        })
    }

    fn resolve_response(
        &self,
        r: &'a ReferenceOr<Response>,
        at: &Pointer,
    ) -> Result<(&'a Response, Pointer), SpecError> {
        refs::response(self.doc, r, at)
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
    ) -> Result<(Success, Vec<String>), SpecError> {
        let mut success_entries = Vec::new();
        let mut errors = Vec::new();
        for (code, r) in responses {
            let is_success = match code {
                StatusCode::Code(c) => (200..300).contains(c),
                StatusCode::Range(r) => *r == 2,
            };
            if is_success {
                success_entries.push((code.to_string(), r));
            } else if matches!(code, StatusCode::Code(c) if *c >= 400)
                || matches!(code, StatusCode::Range(4 | 5))
            {
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
            let Some(schema) = &media.schema else {
                continue;
            };
            let ty = self
                .lower_type(
                    SchemaView::from(schema),
                    &r_at.push("content").push(media_key).push("schema"),
                    &format!("{hint}Response"),
                )?
                .ty;
            let unwrap_value = match &ty {
                TypeRef::Named(n) => {
                    matches!(self.models.get(n).map(|m| &m.kind), Some(ModelKind::Struct(s)) if !s.has_value_member())
                }
                _ => false,
            };
            success = Success::Json { ty, unwrap_value };
            break;
        }
        Ok((success, errors))
    }
}

impl<'a> Lowerer<'a> {
    /// A pageable operation's success: the items of the collection envelope it returns
    /// (`{"value": [items], "@odata.nextLink"}`). Without such an envelope the operation keeps
    /// its plain result and a diagnostic says why.
    fn page_of(&mut self, success: Success, next_link: String, at: &Pointer) -> Success {
        let item = match &success {
            Success::Json {
                ty: TypeRef::Named(name),
                ..
            } => match self.models.get(name).map(|m| &m.kind) {
                Some(ModelKind::Struct(s)) => s
                    .fields
                    .iter()
                    .find(|f| f.json_name == "value")
                    .and_then(|f| match &f.ty {
                        TypeRef::Array(item, _) => Some((**item).clone()),
                        _ => None,
                    }),
                _ => None,
            },
            _ => None,
        };
        match item {
            Some(item) => Success::Page { item, next_link },
            None => {
                self.diagnostic(
                    at.push("x-ms-pageable").as_str(),
                    "x-ms-pageable on an operation whose success is not a `{\"value\": [...]}` collection; not paged",
                );
                success
            }
        }
    }

    /// `text/plain` parses into a scalar; any other media type is bytes.
    fn non_json_success(
        &mut self,
        response: &'a Response,
        at: &Pointer,
        hint: &str,
    ) -> Result<Success, SpecError> {
        if let Some(media) = response.content.get("text/plain") {
            let media_at = at.push("content").push("text/plain");
            let ty = match &media.schema {
                Some(schema) => {
                    self.lower_type(
                        SchemaView::from(schema),
                        &media_at.push("schema"),
                        &format!("{hint}Response"),
                    )?
                    .ty
                }
                None => TypeRef::String,
            };
            if !self.is_text_scalar(&ty) {
                return Err(
                    media_at.error("a text/plain response must be a string, number or boolean")
                );
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

fn methods(item: &PathItem) -> Vec<(&'static str, crate::ir::HttpMethod, &OaOperation)> {
    use crate::ir::HttpMethod;
    [
        ("get", HttpMethod::Get, &item.get),
        ("put", HttpMethod::Put, &item.put),
        ("post", HttpMethod::Post, &item.post),
        ("patch", HttpMethod::Patch, &item.patch),
        ("delete", HttpMethod::Delete, &item.delete),
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
        TypeRef::Named(n) => matches!(
            lowerer.models.get(n).map(|m| &m.kind),
            Some(ModelKind::Enum(_))
        ),
        TypeRef::Array(inner, _) => {
            !matches!(**inner, TypeRef::Array(..)) && param_type_supported(inner, lowerer)
        }
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

/// The path parameters in the order the path names them. Every `{name}` segment needs a
/// declared path parameter, and vice versa.
fn order_path_params(
    segments: &[Segment],
    path_params: &[Param],
    at: &Pointer,
) -> Result<Vec<Param>, SpecError> {
    let mut declared: BTreeSet<&str> = path_params.iter().map(|p| p.name.as_str()).collect();
    let mut ordered = Vec::new();
    let in_path = segments.iter().flat_map(|segment| match segment {
        Segment::Param(name) => vec![name.clone()],
        Segment::Template { params, .. } => params.clone(),
        Segment::Literal(_) => Vec::new(),
    });
    for name in in_path {
        if !declared.remove(name.as_str()) {
            return Err(at.error(format!(
                "path segment `{{{name}}}` has no path parameter declared"
            )));
        }
        if let Some(p) = path_params.iter().find(|p| p.name == name) {
            ordered.push(p.clone());
        }
    }
    if let Some(extra) = declared.into_iter().next() {
        return Err(at.error(format!(
            "path parameter `{extra}` does not appear in the path"
        )));
    }
    Ok(ordered)
}
