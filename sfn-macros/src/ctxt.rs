//! Collects errors so that one expansion reports every problem (serde's `Ctxt` pattern).

use std::cell::RefCell;
use std::fmt::Display;

use quote::ToTokens;

/// Errors of one expansion, in the order found.
#[derive(Default)]
pub struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    /// Records an error at the tokens of `at`.
    pub fn error(&self, at: impl ToTokens, message: impl Display) {
        // One non-generic call site keeps monomorphisation small.
        self.push(syn::Error::new_spanned(
            at.into_token_stream(),
            message.to_string(),
        ));
    }

    /// Records an error at a span.
    pub fn error_at(&self, span: proc_macro2::Span, message: impl Display) {
        self.push(syn::Error::new(span, message.to_string()));
    }

    /// Records an error already built.
    pub fn push(&self, e: syn::Error) {
        self.errors.borrow_mut().push(e);
    }

    /// Whether anything went wrong.
    pub fn has_errors(&self) -> bool {
        !self.errors.borrow().is_empty()
    }

    /// All errors, combined into one.
    pub fn check(self) -> Result<(), syn::Error> {
        let mut errors = self.errors.into_inner().into_iter();
        match errors.next() {
            None => Ok(()),
            Some(mut first) => {
                for e in errors {
                    first.combine(e);
                }
                Err(first)
            }
        }
    }
}
