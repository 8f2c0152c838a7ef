//! `#[task]`: a native handler and a Task state.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::attr;
use crate::ctxt::Ctxt;

/// Expands `#[task(..)]` on `item`.
///
/// Input: `#[task(lambda = "SayHello")] async fn say_hello(input: Greeting) -> Result<Reply, TaskError> {…}`.
/// Output: the fn unchanged, plus `struct say_hello {}` (type namespace only, so it can share
/// the fn's name) implementing `TaskSpec`: its state name, how the state calls it, and a
/// native handler that deserialises the input, awaits the fn and serialises the result.
pub fn expand(args: TokenStream, item: syn::ItemFn) -> TokenStream {
    let cx = Ctxt::default();
    let args = attr::parse(&cx, args, attr::TASK_KEYS, "task");
    let krate = &args.krate;
    let sig = &item.sig;
    if sig.asyncness.is_none() {
        cx.error(sig.fn_token, "a task is an `async fn`; add `async`");
    }
    if !sig.generics.params.is_empty() {
        cx.error(
            &sig.generics,
            "a task cannot be generic: its input and output are fixed JSON types",
        );
    }
    let inputs: Vec<_> = sig.inputs.iter().collect();
    let input_ty = match inputs.as_slice() {
        [syn::FnArg::Typed(pt)] => Some(pt.ty.clone()),
        _ => {
            cx.error(
                &sig.inputs,
                "a task takes exactly one input, e.g. `input: Order`",
            );
            None
        }
    };
    if args.lambda.is_some() && args.resource.is_some() {
        cx.error_at(
            proc_macro2::Span::call_site(),
            "give either `lambda = \"…\"` or `resource = \"…\"`, not both",
        );
    }
    let ident = &sig.ident;
    let state_name = args
        .name
        .as_ref()
        .map(|(n, _)| n.clone())
        .unwrap_or_else(|| attr::pascal(&ident.to_string()));
    let kind = match (&args.lambda, &args.resource) {
        (_, Some((r, _))) => quote!(#krate::__private::TaskKind::Resource(#r)),
        (Some((l, _)), None) => quote!(#krate::__private::TaskKind::Lambda(#l)),
        (None, None) => quote!(#krate::__private::TaskKind::Lambda(#state_name)),
    };
    let errors = match cx.check() {
        Ok(()) => TokenStream::new(),
        Err(e) => e.into_compile_error(),
    };
    let vis = &item.vis;
    let Some(input_ty) = input_ty.filter(|_| errors.is_empty()) else {
        return quote!(#errors #item);
    };
    let doc = format!("The task [`{ident}`](fn@{ident}) as a Task state and a native handler.");
    let input_var = format_ident!("__sfn_input", span = proc_macro2::Span::mixed_site());
    let call = quote_spanned!(sig.output.span()=> #ident(#input_var).await);
    quote! {
        #item
        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #vis struct #ident {}
        #[automatically_derived]
        impl #krate::__private::TaskSpec for #ident {
            const NAME: &'static str = #state_name;
            const KIND: #krate::__private::TaskKind = #kind;
            fn invoke(input: #krate::__private::serde_json::Value) -> #krate::__private::TaskFuture {
                ::std::boxed::Box::pin(async move {
                    let #input_var: #input_ty = #krate::__private::decode_input(input)?;
                    #krate::__private::encode_output(#call)
                })
            }
        }
    }
}
