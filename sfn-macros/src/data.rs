//! `#[derive(Data)]`: the JSON names of a type's fields, from serde's own attribute parser.

use proc_macro2::TokenStream;
use quote::quote;
use serde_derive_internals::{Ctxt, Derive, ast};

/// Expands `#[derive(Data)]` on `input`.
///
/// Input: `#[serde(rename_all = "PascalCase")] struct Greeting { comment: String }`.
/// Output: `impl Data for Greeting { fn ser_name(f) { match f { "comment" => Some("Comment") … } } … }`.
pub fn expand(input: &syn::DeriveInput) -> TokenStream {
    let krate = crate_path(input);
    let cx = Ctxt::new();
    let private = syn::Ident::new("__private", proc_macro2::Span::call_site());
    let container = ast::Container::from_ast(&cx, input, Derive::Serialize, &private);
    let mut ser = Vec::new();
    let mut de = Vec::new();
    if let Some(container) = &container {
        if let ast::Data::Struct(_, fields) = &container.data {
            for f in fields {
                let syn::Member::Named(ident) = &f.member else {
                    continue;
                };
                let rust = ident.to_string();
                let rust = rust.trim_start_matches("r#").to_owned();
                // A flattened field has no name of its own: its fields sit in the parent.
                if f.attrs.flatten() {
                    continue;
                }
                if !f.attrs.skip_serializing() {
                    let n = &f.attrs.name().serialize_name().value;
                    ser.push(quote!(#rust => ::core::option::Option::Some(#n),));
                }
                if !f.attrs.skip_deserializing() {
                    let n = &f.attrs.name().deserialize_name().value;
                    de.push(quote!(#rust => ::core::option::Option::Some(#n),));
                }
            }
        }
    }
    let errors = match cx.check() {
        Ok(()) => TokenStream::new(),
        Err(e) => e.into_compile_error(),
    };
    let ident = &input.ident;
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    quote! {
        #errors
        #[automatically_derived]
        impl #impl_g #krate::__private::Data for #ident #ty_g #where_g {
            fn ser_name(field: &str) -> ::core::option::Option<&'static str> {
                match field { #(#ser)* _ => ::core::option::Option::None }
            }
            fn de_name(field: &str) -> ::core::option::Option<&'static str> {
                match field { #(#de)* _ => ::core::option::Option::None }
            }
        }
    }
}

/// `#[sfn(crate = path)]` on the type, or `::sfn`.
fn crate_path(input: &syn::DeriveInput) -> TokenStream {
    for attr in &input.attrs {
        if attr.path().is_ident("sfn") {
            let mut out = None;
            let _ = attr.parse_nested_meta(|m| {
                if m.path.is_ident("crate") {
                    let p: syn::Path = m.value()?.parse()?;
                    out = Some(quote!(#p));
                }
                Ok(())
            });
            if let Some(p) = out {
                return p;
            }
        }
    }
    quote!(::sfn)
}
