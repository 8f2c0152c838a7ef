//! The arguments of `#[workflow(..)]` and `#[task(..)]`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Lit, Meta, Token};

use crate::ctxt::Ctxt;

/// The keys of `#[workflow(..)]`.
pub const WORKFLOW_KEYS: &[&str] = &["name", "query_language", "crate"];
/// The keys of `#[task(..)]`.
pub const TASK_KEYS: &[&str] = &["lambda", "resource", "name", "crate"];

/// Parsed attribute arguments: `key = "value"` pairs (and `crate = path`).
pub struct Args {
    /// `name = "…"`.
    pub name: Option<(String, Span)>,
    /// `query_language = "JSONata"`.
    pub jsonata: bool,
    /// `lambda = "…"`.
    pub lambda: Option<(String, Span)>,
    /// `resource = "…"`.
    pub resource: Option<(String, Span)>,
    /// `crate = path`: where `sfn` is.
    pub krate: TokenStream,
}

/// Parses `args`, recording every problem in `cx`.
pub fn parse(cx: &Ctxt, args: TokenStream, keys: &[&str], what: &str) -> Args {
    let mut out = Args {
        name: None,
        jsonata: false,
        lambda: None,
        resource: None,
        krate: quote!(::sfn),
    };
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(m) => m,
        Err(e) => {
            cx.push(e);
            return out;
        }
    };
    let mut seen: Vec<String> = Vec::new();
    for meta in metas {
        let Meta::NameValue(nv) = &meta else {
            cx.error(
                &meta,
                format!(
                    "expected `key = value` in `#[{what}(..)]`; the keys are {}",
                    list(keys)
                ),
            );
            continue;
        };
        let key = nv
            .path
            .get_ident()
            .map(|i| i.to_string())
            .unwrap_or_default();
        if !keys.contains(&key.as_str()) {
            cx.error(
                &nv.path,
                format!(
                    "unknown key `{key}` in `#[{what}(..)]`; the keys are {}",
                    list(keys)
                ),
            );
            continue;
        }
        if seen.contains(&key) {
            cx.error(&nv.path, format!("`{key}` is given twice; keep one"));
            continue;
        }
        seen.push(key.clone());
        if key == "crate" {
            match &nv.value {
                Expr::Path(p) => {
                    let p = &p.path;
                    out.krate = quote!(#p);
                }
                Expr::Lit(l) => match &l.lit {
                    Lit::Str(s) => match s.parse::<syn::Path>() {
                        Ok(p) => out.krate = quote!(#p),
                        Err(e) => cx.push(e),
                    },
                    _ => cx.error(&nv.value, "`crate` takes a path, e.g. `crate = my_sfn`"),
                },
                _ => cx.error(&nv.value, "`crate` takes a path, e.g. `crate = my_sfn`"),
            }
            continue;
        }
        let text = match &nv.value {
            Expr::Lit(l) => match &l.lit {
                Lit::Str(s) => Some((s.value(), s.span())),
                _ => None,
            },
            _ => None,
        };
        let Some((text, span)) = text else {
            cx.error(
                &nv.value,
                format!("`{key}` takes a string, e.g. `{key} = \"…\"`"),
            );
            continue;
        };
        match key.as_str() {
            "name" => {
                if text.is_empty() || text.len() > 80 {
                    cx.error_at(span, "a state machine name has 1 to 80 characters");
                }
                out.name = Some((text, span));
            }
            "query_language" => match text.as_str() {
                "JSONata" => out.jsonata = true,
                "JSONPath" => out.jsonata = false,
                _ => cx.error_at(
                    span,
                    format!(
                        "unknown query language `{text}`; write `\"JSONPath\"` or `\"JSONata\"`"
                    ),
                ),
            },
            "lambda" => out.lambda = Some((text, span)),
            "resource" => out.resource = Some((text, span)),
            _ => {}
        }
    }
    out
}

fn list(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `snake_case` → `PascalCase`.
pub fn pascal(s: &str) -> String {
    s.trim_start_matches("r#")
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}
