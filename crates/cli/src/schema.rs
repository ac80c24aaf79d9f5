//! The published policy schema (`gonogo schema policy`, `schemas/policy.schema.json`),
//! assembled: the core's tables (gates, waivers, environments...), then each engine section
//! from its engine's own schema ([`crate::engines::ENGINES`]), and `[target]`, `[targets]` and
//! `[[command]]` from the binary's types that read them. So the schema says what every engine
//! key is, and cannot drift from the code that reads it.

use serde_json::{Map, Value, json};

use crate::engines::{ENGINES, Layout};

/// The whole policy schema.
pub fn policy() -> Value {
    let mut root = gonogo_core::policy::json_schema();
    for engine in ENGINES {
        let name = format!("engine.{}", engine.section);
        let description = root["properties"][engine.section]["description"].clone();
        let reference = embed(&mut root, &name, (engine.schema)());
        let mut property = match engine.layout {
            Layout::Named => json!({ "type": "object", "additionalProperties": reference }),
            Layout::List => json!({ "type": "array", "items": reference }),
            Layout::Single => reference,
        };
        if let (Some(object), false) = (property.as_object_mut(), description.is_null()) {
            object.insert("description".into(), description);
        }
        root["properties"][engine.section] = property;
    }
    for (section, schema, many) in [
        (
            "target",
            crate::engines::typed_schema::<crate::run::TargetSection>(),
            false,
        ),
        (
            "targets",
            crate::engines::typed_schema::<crate::run::TargetsSection>(),
            false,
        ),
        (
            "command",
            crate::engines::typed_schema::<crate::run::CommandSection>(),
            true,
        ),
    ] {
        let description = root["properties"][section]["description"].clone();
        let reference = embed(&mut root, section, schema);
        let mut property = if many {
            json!({ "type": "array", "items": reference })
        } else {
            reference
        };
        if let Some(object) = property.as_object_mut()
            && !description.is_null()
        {
            object.insert("description".into(), description);
        }
        root["properties"][section] = property;
    }
    root
}

/// Puts `schema` into the root's `$defs` as `name` (its own definitions beside it, renamed
/// when the root already holds a different one of the same name) and returns a `$ref` to it.
fn embed(root: &mut Value, name: &str, mut schema: Value) -> Value {
    let defs = schema
        .as_object_mut()
        .and_then(|s| s.remove("$defs"))
        .and_then(|d| d.as_object().cloned())
        .unwrap_or_default();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
    }
    let root_defs = root
        .as_object_mut()
        .map(|r| {
            r.entry("$defs")
                .or_insert_with(|| Value::Object(Map::new()))
        })
        .and_then(Value::as_object_mut);
    let Some(root_defs) = root_defs else {
        return schema;
    };
    let mut renames = Vec::new();
    for (def, value) in &defs {
        match root_defs.get(def) {
            Some(existing) if existing != value => {
                renames.push((def.clone(), format!("{name}.{def}")));
            }
            _ => {}
        }
    }
    let rename = |value: &mut Value| {
        for (from, to) in &renames {
            rewrite_refs(value, from, to);
        }
    };
    rename(&mut schema);
    for (def, mut value) in defs {
        rename(&mut value);
        let key = renames
            .iter()
            .find(|(from, _)| *from == def)
            .map_or(def, |(_, to)| to.clone());
        root_defs.insert(key, value);
    }
    root_defs.insert(name.to_owned(), schema);
    json!({ "$ref": format!("#/$defs/{name}") })
}

fn rewrite_refs(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object.iter_mut() {
                if key == "$ref" && inner.as_str() == Some(&format!("#/$defs/{from}")) {
                    *inner = Value::String(format!("#/$defs/{to}"));
                } else {
                    rewrite_refs(inner, from, to);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| rewrite_refs(i, from, to)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    /// Every `$ref` of the assembled schema points at a definition it holds.
    #[test]
    fn every_reference_resolves() {
        fn refs(value: &serde_json::Value, out: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(o) => {
                    for (k, v) in o {
                        match v.as_str() {
                            Some(r) if k == "$ref" => out.push(r.to_owned()),
                            _ => refs(v, out),
                        }
                    }
                }
                serde_json::Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let schema = super::policy();
        let mut found = Vec::new();
        refs(&schema, &mut found);
        assert!(
            found.iter().any(|r| r == "#/$defs/engine.load"),
            "{found:?}"
        );
        // `[targets] origins` is read by the core: `gonogo run` takes it too.
        assert!(
            schema["$defs"]["targets"]["properties"]["origins"].is_object(),
            "{}",
            schema["$defs"]["targets"]
        );
        for reference in found {
            let name = reference.trim_start_matches("#/$defs/");
            assert!(
                schema["$defs"][name].is_object(),
                "{reference} does not resolve"
            );
        }
    }
}
