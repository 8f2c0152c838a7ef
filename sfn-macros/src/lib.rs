//! Procedural macros of `sfn`. Use them through the `sfn` crate: `#[sfn::workflow]`,
//! `#[sfn::task]`, `#[derive(sfn::Data)]`.
//!
//! # `#[workflow]`
//!
//! On an `async fn` whose body is a workflow, generates a unit struct (named by `name = "…"`,
//! or the fn's name in PascalCase) implementing `sfn::StateMachine`: its `Input`, `Output`,
//! `NAME`, and `definition()`, the ASL state machine the body stands for. The body is not run
//! as Rust: it is lowered into states (see the `sfn` crate's documentation for each rule),
//! and every expression in it is type-checked by rustc with your own types.
//!
//! Keys: `name = "HelloWorld"`, `query_language = "JSONata"` (JSONPath is the default),
//! `crate = path` (where `sfn` is, when renamed or re-exported).
//!
//! Statements can be named with `#[state("Name")]`; otherwise names come from the call
//! (`SayHello`, the child's type) and are made unique with a suffix.
//!
//! # `#[task]`
//!
//! On an `async fn(input: In) -> Result<Out, TaskError>`: the fn stays as it is (it is the
//! native handler the runtime calls), and a companion type of the same name implements
//! `sfn::TaskSpec`, which a workflow uses to write the Task state. Keys: `lambda = "Name"`
//! (Lambda's optimized integration; the default, named after the fn) or `resource = "arn…"`,
//! `name = "StateName"`, `crate = path`.
//!
//! # `#[derive(Data)]`
//!
//! The JSON names of a struct's fields, read by serde's own attribute parser, for workflows
//! that read or build the struct's fields. `#[sfn(crate = path)]` when `sfn` is renamed.

mod attr;
mod ctxt;
mod data;
mod task;
mod workflow;

use proc_macro::TokenStream;

/// Lowers an `async fn` into a typed state machine. See the crate documentation.
#[proc_macro_attribute]
pub fn workflow(args: TokenStream, item: TokenStream) -> TokenStream {
    match syn::parse::<syn::ItemFn>(item.clone()) {
        Ok(f) => workflow::expand(args.into(), f).into(),
        Err(e) => with_error(e, item),
    }
}

/// Makes an `async fn` a task: a native handler and a Task state. See the crate documentation.
#[proc_macro_attribute]
pub fn task(args: TokenStream, item: TokenStream) -> TokenStream {
    match syn::parse::<syn::ItemFn>(item.clone()) {
        Ok(f) => task::expand(args.into(), f).into(),
        Err(e) => with_error(e, item),
    }
}

/// The JSON names of a type's fields, as serde writes and reads them.
#[proc_macro_derive(Data, attributes(sfn))]
pub fn derive_data(item: TokenStream) -> TokenStream {
    match syn::parse::<syn::DeriveInput>(item) {
        Ok(d) => data::expand(&d).into(),
        Err(e) => e.into_compile_error().into(),
    }
}

/// The item as written, plus the error: callers of it see no second error.
fn with_error(e: syn::Error, item: TokenStream) -> TokenStream {
    let mut out: TokenStream = e.into_compile_error().into();
    out.extend(item);
    out
}
