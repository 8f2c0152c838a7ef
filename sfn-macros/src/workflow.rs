//! `#[workflow]`: an async fn body lowered into the states of a definition.
//!
//! Lowering walks the body once, in order, and produces *chunks*: ordinary Rust that builds
//! each state's JSON when `definition()` runs, and links (`Next`, `Default`) to *labels*
//! resolved once the whole body is lowered. Every user expression is re-emitted exactly once,
//! inside a closure that is never called, with workflow values replaced by typed holes, so
//! rustc checks it with the user's types and reports each mistake once.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{BinOp, Expr, Ident, Member, Pat, Stmt, UnOp};

use crate::attr;
use crate::ctxt::Ctxt;

type Label = usize;

#[derive(Clone, Debug)]
enum Target {
    State(String),
    End(usize),
    Alias(Label),
}

enum Chunk {
    Code(TokenStream),
    Block(Vec<Chunk>),
    /// `obj.insert(key, <name of label>)`; `End` becomes `"End": true` for `Next`.
    Link {
        obj: Ident,
        key: &'static str,
        label: Label,
        span: Span,
    },
    /// `let out = block(<start>, states)` or, for the top level, the definition.
    Finish {
        block: usize,
        entry: Label,
        out: Option<Ident>,
    },
}

struct BlockInfo {
    states: Ident,
    succeed: Option<String>,
}

/// What a lowered value is at definition time.
enum Gen {
    /// A constant held in this local.
    Const(Ident),
    /// A `Var<T>` held in this local (a path or an intrinsic).
    Dyn(Ident),
    /// A struct literal: its type marker and its fields.
    Object(Ident, Vec<(String, Gen)>),
}

struct Lowered {
    check: TokenStream,
    value: Gen,
}

/// A parsed call chain: `start_execution::<C>(arg).name(..).sync2()` or `task(arg).retry(..)`.
struct CallChain<'a> {
    base: Base<'a>,
    pattern: Option<(Ident, Option<TokenStream>)>,
    opts: Vec<(Ident, Vec<&'a Expr>)>,
    whole: &'a Expr,
}

enum Base<'a> {
    Child {
        func: &'a Expr,
        ty: TokenStream,
        ty_name: String,
        arg: &'a Expr,
    },
    Task {
        path: &'a syn::Path,
        arg: &'a Expr,
    },
}

pub struct Lower<'a> {
    cx: &'a Ctxt,
    pv: TokenStream,
    stack: Vec<Vec<Chunk>>,
    labels: Vec<Option<Target>>,
    blocks: Vec<BlockInfo>,
    cur_block: usize,
    names: HashMap<String, Span>,
    n: usize,
    vars: Vec<HashSet<String>>,
    loops: Vec<(Label, Label)>,
    uses: HashMap<String, usize>,
    ret_ty: TokenStream,
    last_call_ty: Option<Ident>,
}

fn ms(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// `quote_spanned!`-like wrapping that makes rustc underline the whole user expression:
/// the callee takes the first token's span and the parentheses the last token's.
fn spanned_call(func: TokenStream, arg: TokenStream, of: &dyn ToTokens) -> TokenStream {
    let tokens = of.to_token_stream();
    let mut iter = tokens.into_iter();
    let first = iter
        .next()
        .map(|t| t.span())
        .unwrap_or_else(Span::call_site);
    let last = iter.last().map(|t| t.span()).unwrap_or(first);
    let func = respan(func, first);
    let mut g = Group::new(Delimiter::Parenthesis, arg);
    g.set_span(last);
    let mut out = func;
    out.extend([TokenTree::Group(g)]);
    out
}

/// A typed hole as a method call on a generated local, `p.val()`, spanned over the user's
/// expression: rustc types the receiver first, so a mismatch is reported as "expected
/// `Greeting`, found `Order`" at the user's tokens.
fn hole(p: &Ident, method: &str, of: &dyn ToTokens) -> TokenStream {
    let tokens = of.to_token_stream();
    let mut iter = tokens.into_iter();
    let first = iter
        .next()
        .map(|t| t.span())
        .unwrap_or_else(Span::call_site);
    let last = iter.last().map(|t| t.span()).unwrap_or(first);
    let recv = Ident::new(&p.to_string(), p.span().located_at(first));
    let method = Ident::new(method, Span::mixed_site().located_at(last));
    let mut g = Group::new(Delimiter::Parenthesis, TokenStream::new());
    g.set_span(last);
    let mut out = quote!(#recv . #method);
    out.extend([TokenTree::Group(g)]);
    out
}

fn respan(ts: TokenStream, span: Span) -> TokenStream {
    ts.into_iter()
        .map(|mut t| {
            if let TokenTree::Group(g) = &t {
                let mut ng = Group::new(g.delimiter(), respan(g.stream(), span));
                ng.set_span(span);
                t = TokenTree::Group(ng);
            } else {
                t.set_span(span);
            }
            t
        })
        .collect()
}

fn count_idents(ts: TokenStream, out: &mut HashMap<String, usize>) {
    for t in ts {
        match t {
            TokenTree::Ident(i) => *out.entry(i.to_string()).or_default() += 1,
            TokenTree::Group(g) => count_idents(g.stream(), out),
            _ => {}
        }
    }
}

fn mentions(ts: TokenStream, names: &dyn Fn(&str) -> bool) -> bool {
    ts.into_iter().any(|t| match t {
        TokenTree::Ident(i) => names(&i.to_string()),
        TokenTree::Group(g) => mentions(g.stream(), names),
        _ => false,
    })
}

/// Strips `?` and `.await`: `(inner, had_await, had_try)`.
fn strip_await(e: &Expr) -> (&Expr, bool, bool) {
    let (e, tried) = match e {
        Expr::Try(t) => (&*t.expr, true),
        e => (e, false),
    };
    match e {
        Expr::Await(a) => (&*a.base, true, tried),
        e => (e, false, tried),
    }
}

fn last_ident(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

fn state_attr(cx: &Ctxt, attrs: &[syn::Attribute]) -> Option<(String, Span)> {
    let mut out = None;
    for a in attrs {
        if a.path().is_ident("state") {
            match a.parse_args::<syn::LitStr>() {
                Ok(s) => out = Some((s.value(), s.span())),
                Err(_) => cx.error(a, "write the state's name as `#[state(\"Name\")]`"),
            }
        } else {
            cx.error(
                a,
                "the only attribute a workflow statement takes is `#[state(\"Name\")]`",
            );
        }
    }
    out
}

fn expr_attrs(e: &Expr) -> &[syn::Attribute] {
    match e {
        Expr::Await(x) => &x.attrs,
        Expr::Try(x) => &x.attrs,
        Expr::If(x) => &x.attrs,
        Expr::Match(x) => &x.attrs,
        Expr::While(x) => &x.attrs,
        Expr::Loop(x) => &x.attrs,
        Expr::Call(x) => &x.attrs,
        Expr::MethodCall(x) => &x.attrs,
        Expr::Return(x) => &x.attrs,
        _ => &[],
    }
}

const UNSUPPORTED: &str = "a workflow value can be a constant, a field path (`x.a.b`, `x.items[0]`), a struct literal, `format!(…)`, `a + b`, `v.len()`, `uuid()`, `to_string(&v)`, `from_str(&s)` or `task_token()`";

impl<'a> Lower<'a> {
    pub fn new(cx: &'a Ctxt, krate: &TokenStream, body: &syn::Block, ret_ty: TokenStream) -> Self {
        let mut uses = HashMap::new();
        count_idents(body.to_token_stream(), &mut uses);
        Lower {
            cx,
            pv: quote!(#krate::__private),
            stack: vec![Vec::new()],
            labels: Vec::new(),
            blocks: Vec::new(),
            cur_block: 0,
            names: HashMap::new(),
            n: 0,
            vars: vec![HashSet::new()],
            loops: Vec::new(),
            uses,
            ret_ty,
            last_call_ty: None,
        }
    }

    fn fresh(&mut self, what: &str) -> Ident {
        self.n += 1;
        ms(&format!("__sfn_{what}{}", self.n))
    }

    fn emit(&mut self, ts: TokenStream) {
        self.stack
            .last_mut()
            .expect("chunk stack")
            .push(Chunk::Code(ts));
    }

    fn link(&mut self, obj: &Ident, key: &'static str, label: Label, span: Span) {
        self.stack
            .last_mut()
            .expect("chunk stack")
            .push(Chunk::Link {
                obj: obj.clone(),
                key,
                label,
                span,
            });
    }

    fn open(&mut self) {
        self.stack.push(Vec::new());
        self.vars.push(HashSet::new());
    }

    fn close(&mut self) {
        let chunks = self.stack.pop().expect("chunk stack");
        self.vars.pop();
        self.stack
            .last_mut()
            .expect("chunk stack")
            .push(Chunk::Block(chunks));
    }

    fn label(&mut self, t: Option<Target>) -> Label {
        self.labels.push(t);
        self.labels.len() - 1
    }

    fn is_var(&self, name: &str) -> bool {
        self.vars.iter().any(|s| s.contains(name))
    }

    fn add_var(&mut self, name: &str) {
        self.vars.last_mut().expect("scope").insert(name.to_owned());
    }

    fn is_dynamic(&self, ts: TokenStream) -> bool {
        mentions(ts, &|n| self.is_var(n) || n == "task_token" || n == "uuid")
    }

    fn used_later(&self, name: &str) -> bool {
        self.uses.get(name).copied().unwrap_or(0) > 1
    }

    fn new_block(&mut self) -> (usize, Ident) {
        let states = self.fresh("states");
        self.blocks.push(BlockInfo {
            states: states.clone(),
            succeed: None,
        });
        (self.blocks.len() - 1, states)
    }

    fn states(&self) -> Ident {
        self.blocks[self.cur_block].states.clone()
    }

    /// A unique state name: an explicit one must be unique, a derived one gets a suffix.
    fn name(&mut self, explicit: Option<(String, Span)>, derived: &str, span: Span) -> String {
        if let Some((name, nspan)) = explicit {
            if self.names.contains_key(&name) {
                self.cx.error_at(
                    nspan,
                    format!("two states are named `{name}`; state names must be unique, rename one with `#[state(\"…\")]`"),
                );
            }
            self.names.insert(name.clone(), nspan);
            return name;
        }
        let base = if derived.is_empty() { "State" } else { derived };
        let mut name = base.to_owned();
        let mut i = 2;
        while self.names.contains_key(&name) {
            name = format!("{base}{i}");
            i += 1;
        }
        self.names.insert(name.clone(), span);
        name
    }

    fn put_state(&mut self, name: &str, s: &Ident) {
        let states = self.states();
        let pv = &self.pv;
        self.emit(quote! {
            #states.insert(::std::string::String::from(#name), #pv::serde_json::Value::Object(#s));
        });
    }

    fn lang(&self) -> TokenStream {
        let lang = ms("__sfn_lang");
        quote!(#lang)
    }

    // ----- values -------------------------------------------------------------------------

    /// Lowers a value expression.
    ///
    /// Input: `Greeting { comment: x.name.clone(), n: 3 }`.
    /// Output: locals for the constant `3` and the path `$x.Name`, a checked literal, and a
    /// `Gen::Object` that writes `{"Comment.$": "$x.Name", "N": 3}`.
    fn value(&mut self, e: &Expr) -> Option<Lowered> {
        let pv = self.pv.clone();
        if !self.is_dynamic(e.to_token_stream()) {
            let k = self.fresh("k");
            self.emit(quote!(let #k = #e;));
            let check = spanned_call(quote!(#pv::same), quote!(&#k), e);
            return Some(Lowered {
                check,
                value: Gen::Const(k),
            });
        }
        match e {
            Expr::Paren(p) => {
                let inner = self.value(&p.expr)?;
                Some(inner)
            }
            Expr::Reference(r) => {
                let inner = self.value(&r.expr)?;
                let and = &r.and_token;
                Some(Lowered {
                    check: quote!(#and #(inner.check)),
                    value: inner.value,
                })
            }
            Expr::Struct(s) => self.literal(s),
            Expr::Cast(c) => {
                let inner = self.value(&c.expr)?;
                let (check, ty) = (&inner.check, &c.ty);
                Some(Lowered {
                    check: quote!((#check) as #ty),
                    value: inner.value,
                })
            }
            // `Some(v)` is `v` in JSON.
            Expr::Call(c)
                if c.args.len() == 1
                    && matches!(&*c.func, Expr::Path(p) if p.path.is_ident("Some")) =>
            {
                let inner = self.value(&c.args[0])?;
                let f = &c.func;
                let check = &inner.check;
                Some(Lowered {
                    check: quote!(#f(#check)),
                    value: inner.value,
                })
            }
            Expr::Macro(m) if m.mac.path.is_ident("format") => self.format(m),
            Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("task_token")) => {
                let p = self.fresh("p");
                self.emit(quote!(let #p = #pv::task_token();));
                Some(Lowered {
                    check: hole(&p, "val", e),
                    value: Gen::Dyn(p),
                })
            }
            Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("uuid")) => {
                self.intrinsic(e, "States.UUID", &[], Some("$uuid()"))
            }
            Expr::Call(c)
                if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("to_string"))
                    && c.args.len() == 1 =>
            {
                let a: Vec<&Expr> = c.args.iter().collect();
                self.intrinsic(e, "States.JsonToString", &a, Some("$string"))
            }
            Expr::Call(c)
                if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("from_str"))
                    && c.args.len() == 1 =>
            {
                let a: Vec<&Expr> = c.args.iter().collect();
                self.intrinsic(e, "States.StringToJson", &a, Some("$eval"))
            }
            Expr::Binary(b) if matches!(b.op, BinOp::Add(_)) => {
                self.intrinsic(e, "States.MathAdd", &[&b.left, &b.right], None)
            }
            Expr::MethodCall(m) if m.method == "len" && m.args.is_empty() => {
                self.intrinsic(e, "States.ArrayLength", &[&m.receiver], Some("$count"))
            }
            _ => {
                if let Some((p, check)) = self.path(e) {
                    return Some(Lowered {
                        check,
                        value: Gen::Dyn(p),
                    });
                }
                if let Expr::Await(_) | Expr::Try(_) = e {
                    self.cx.error(e, "await calls in their own `let` first, e.g. `let r = call(..).await?;`, then use `r`");
                } else {
                    self.cx.error(
                        e,
                        format!("this expression cannot become part of a state: {UNSUPPORTED}"),
                    );
                }
                None
            }
        }
    }

    /// A field path: `x`, `x.a.b`, `x.items[2]`, with `.clone()`, `.as_str()` … kept for the check.
    fn path(&mut self, e: &Expr) -> Option<(Ident, TokenStream)> {
        // Methods that do not change where the value is.
        let mut tail = TokenStream::new();
        let mut cur = e;
        let mut methods = Vec::new();
        while let Expr::MethodCall(m) = cur {
            let name = m.method.to_string();
            if m.args.is_empty()
                && matches!(
                    name.as_str(),
                    "clone" | "as_str" | "as_ref" | "to_owned" | "as_slice" | "unwrap" | "as_deref"
                )
            {
                methods.push(m);
                cur = &m.receiver;
            } else {
                return None;
            }
        }
        for m in methods.iter().rev() {
            let dot = &m.dot_token;
            let method = &m.method;
            tail.extend(quote!(#dot #method ()));
        }
        let var = self.path_var(cur)?;
        let p = self.fresh("p");
        self.emit(quote!(let #p = #var;));
        let check = hole(&p, "val", cur);
        Some((p, quote!(#check #tail)))
    }

    fn path_var(&mut self, e: &Expr) -> Option<TokenStream> {
        let pv = self.pv.clone();
        let v = ms("__sfn_v");
        match e {
            Expr::Path(p)
                if p.path
                    .get_ident()
                    .is_some_and(|i| self.is_var(&i.to_string())) =>
            {
                let i = p.path.get_ident()?;
                Some(quote!(::core::clone::Clone::clone(&#i)))
            }
            Expr::Field(f) => {
                let inner = self.path_var(&f.base)?;
                let Member::Named(member) = &f.member else {
                    let m = &f.member;
                    let idx = match m {
                        Member::Unnamed(i) => i.index as i64,
                        Member::Named(_) => 0,
                    };
                    return Some(quote_spanned!(m.span()=> #pv::index(&#inner, |#v| &#v.#m, #idx)));
                };
                let name = member.to_string();
                let name = name.trim_start_matches("r#").to_owned();
                Some(quote_spanned!(member.span()=> #pv::field(&#inner, |#v| &#v.#member, #name)?))
            }
            Expr::Index(ix) => {
                let inner = self.path_var(&ix.expr)?;
                let Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(i),
                    ..
                }) = &*ix.index
                else {
                    self.cx.error(
                        &ix.index,
                        "an index in a workflow path is a number, e.g. `x.items[0]`",
                    );
                    return None;
                };
                let n: i64 = i.base10_parse().ok()?;
                let idx = &ix.index;
                Some(quote_spanned!(ix.index.span()=> #pv::index(&#inner, |#v| &#v[#idx], #n)))
            }
            Expr::Paren(p) => self.path_var(&p.expr),
            _ => None,
        }
    }

    fn literal(&mut self, s: &syn::ExprStruct) -> Option<Lowered> {
        let pv = self.pv.clone();
        if let Some(rest) = &s.rest {
            self.cx.error(rest, "write every field of a literal that holds workflow values; `..rest` cannot be lowered");
            return None;
        }
        let mut fields = Vec::new();
        let mut checks = Vec::new();
        let mut ok = true;
        for fv in &s.fields {
            let name = match &fv.member {
                Member::Named(i) => i.to_string().trim_start_matches("r#").to_owned(),
                Member::Unnamed(i) => i.index.to_string(),
            };
            match self.value(&fv.expr) {
                Some(l) => {
                    let m = &fv.member;
                    let c = &l.check;
                    checks.push(quote!(#m: #c));
                    fields.push((name, l.value));
                }
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let t = self.fresh("t");
        let path = &s.path;
        let lit = match s.qself {
            Some(_) => {
                self.cx.error(s, "write the literal's type by name");
                return None;
            }
            None => quote_spanned!(s.brace_token.span.join()=> #path { #(#checks),* }),
        };
        self.emit(quote!(let #t = #pv::literal_type(|| #lit);));
        let check = hole(&t, "of", s);
        Some(Lowered {
            check,
            value: Gen::Object(t, fields),
        })
    }

    /// An intrinsic function over lowered arguments.
    fn intrinsic(
        &mut self,
        e: &Expr,
        func: &str,
        args: &[&Expr],
        jsonata: Option<&str>,
    ) -> Option<Lowered> {
        let pv = self.pv.clone();
        let mut texts = Vec::new();
        let mut jtexts = Vec::new();
        let mut checks = Vec::new();
        for a in args {
            let l = self.value(a)?;
            let (t, j) = self.arg_text(&l.value);
            texts.push(t);
            jtexts.push(j);
            checks.push(l.check);
        }
        let check_expr = match e {
            Expr::Binary(b) => {
                let op = &b.op;
                let (l, r) = (&checks[0], &checks[1]);
                quote!(#l #op #r)
            }
            Expr::MethodCall(m) => {
                let r = &checks[0];
                let method = &m.method;
                quote!(#r.#method())
            }
            Expr::Call(c) => {
                let f = &c.func;
                quote!(#f(#(#checks),*))
            }
            _ => quote!(#e),
        };
        let fmt = format!("{func}({})", vec!["{}"; texts.len()].join(", "));
        let jsonata = match jsonata {
            Some(f) => {
                let jfmt = format!("{f}({})", vec!["{}"; jtexts.len()].join(", "));
                quote!(::core::option::Option::Some(
                    ::std::format!(#jfmt, #(#jtexts),*)
                ))
            }
            None if func == "States.MathAdd" => {
                quote!(::core::option::Option::Some(
                    ::std::format!("{} + {}", #(#jtexts),*)
                ))
            }
            None => quote!(::core::option::Option::None),
        };
        let p = self.fresh("p");
        self.emit(quote! {
            let #p = #pv::expr(#pv::value_type(|| #check_expr), ::std::format!(#fmt, #(#texts),*), #jsonata);
        });
        Some(Lowered {
            check: hole(&p, "val", e),
            value: Gen::Dyn(p),
        })
    }

    /// An argument of an intrinsic function: (JSONPath text, JSONata text) expressions.
    fn arg_text(&mut self, g: &Gen) -> (TokenStream, TokenStream) {
        let pv = &self.pv;
        match g {
            Gen::Const(k) => (
                quote!(#pv::intrinsic_arg(&#k)?),
                quote!(#pv::jsonata_arg(&#k)?),
            ),
            Gen::Dyn(p) => (quote!(#p.jsonpath()), quote!(#p.jsonata()?)),
            Gen::Object(t, _) => {
                self.cx.error_at(
                    t.span(),
                    "a struct literal cannot be an intrinsic function argument",
                );
                (quote!(""), quote!(""))
            }
        }
    }

    fn format(&mut self, m: &syn::ExprMacro) -> Option<Lowered> {
        let pv = self.pv.clone();
        let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        let args = match syn::parse::Parser::parse2(parser, m.mac.tokens.clone()) {
            Ok(a) => a,
            Err(e) => {
                self.cx.push(e);
                return None;
            }
        };
        let mut it = args.iter();
        let Some(Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(fmt),
            ..
        })) = it.next()
        else {
            self.cx.error(m, "`format!` takes a string literal first");
            return None;
        };
        let text = fmt.value();
        if text.contains("{:") || text.replace("{}", "").contains('{') {
            self.cx.error(
                fmt,
                "`States.Format` takes only `{}` placeholders; pass every value as an argument",
            );
            return None;
        }
        let rest: Vec<&Expr> = it.collect();
        if rest.len() != text.matches("{}").count() {
            self.cx.error(fmt, "give one argument per `{}`");
            return None;
        }
        let mut texts = Vec::new();
        let mut jtexts = Vec::new();
        let mut checks = Vec::new();
        for a in &rest {
            let l = self.value(a)?;
            let (t, j) = self.arg_text(&l.value);
            texts.push(t);
            jtexts.push(j);
            checks.push(l.check);
        }
        let escaped = text.replace('\\', "\\\\").replace('\'', "\\'");
        let fmt_pieces: Vec<&str> = text.split("{}").collect();
        let jpieces: Vec<String> = fmt_pieces.iter().map(|p| format!("{p:?}")).collect();
        let jfmt = {
            let mut s = String::new();
            for (i, p) in jpieces.iter().enumerate() {
                if i > 0 {
                    s.push_str(" & $string({}) & ");
                }
                s.push_str(&p.replace('{', "{{").replace('}', "}}"));
            }
            s
        };
        let pfmt = format!(
            "States.Format('{}'{})",
            escaped.replace('{', "{{").replace('}', "}}"),
            ", {}".repeat(texts.len())
        );
        let p = self.fresh("p");
        let mac_path = &m.mac.path;
        let bang = &m.mac.bang_token;
        self.emit(quote! {
            let #p = #pv::expr(
                #pv::value_type(|| #mac_path #bang (#fmt, #(#checks),*)),
                ::std::format!(#pfmt, #(#texts),*),
                ::core::option::Option::Some(::std::format!(#jfmt, #(#jtexts),*)),
            );
        });
        Some(Lowered {
            check: hole(&p, "val", m),
            value: Gen::Dyn(p),
        })
    }

    /// Code that writes `gen` under `key` into `obj`.
    fn put_gen(&self, obj: &Ident, key: TokenStream, value: &Gen) -> TokenStream {
        let pv = &self.pv;
        let lang = self.lang();
        match value {
            Gen::Const(k) => quote!(#pv::put(&mut #obj, #key, #pv::konst(&#k)?);),
            Gen::Dyn(p) => quote!(#pv::put_dyn(&mut #obj, #key, &#p, #lang)?;),
            Gen::Object(t, fields) => {
                let o = ms("__sfn_o");
                let inner = self.object_fields(&o, t, fields);
                quote!({
                    let mut #o = #pv::Object::new();
                    #inner
                    #pv::put(&mut #obj, #key, #pv::serde_json::Value::Object(#o));
                })
            }
        }
    }

    fn object_fields(&self, o: &Ident, t: &Ident, fields: &[(String, Gen)]) -> TokenStream {
        let pv = &self.pv;
        let mut out = TokenStream::new();
        for (name, g) in fields {
            let key = quote!(#pv::de_name(#t, #name)?);
            // Nested objects need a fresh name for each level.
            let inner = self.put_gen(o, key, g);
            out.extend(quote!({ #inner }));
        }
        out
    }

    // ----- blocks and statements -----------------------------------------------------------

    /// Lowers statements; `cont` is what follows them. Returns the entry label and, for a
    /// tail, an expression giving `PhantomData<T>` of the value.
    fn block(&mut self, stmts: &[Stmt], cont: Label, tail: bool) -> (Label, Option<TokenStream>) {
        let mut first = None;
        let mut prev_after: Option<Label> = None;
        let mut tail_ty = None;
        let mut last_bound: Option<String> = None;
        let n = stmts.len();
        // `let r = call.await?; Ok(r)`: the call's state ends the block with `r`, so `r` needs
        // no variable for this read.
        if tail && n >= 2 {
            if let (Stmt::Local(l), Stmt::Expr(Expr::Call(c), None)) =
                (&stmts[n - 2], &stmts[n - 1])
            {
                if let (Pat::Ident(pi), Some(Expr::Path(p))) = (&l.pat, c.args.first()) {
                    if p.path.is_ident(&pi.ident) {
                        if let Some(u) = self.uses.get_mut(&pi.ident.to_string()) {
                            *u = u.saturating_sub(1);
                        }
                    }
                }
            }
        }
        for (i, stmt) in stmts.iter().enumerate() {
            let is_last = i + 1 == n;
            let after = if is_last { cont } else { self.label(None) };
            let (entry, bound, ty) = self.stmt(stmt, after, tail && is_last, last_bound.take());
            if let Some(pa) = prev_after {
                self.labels[pa] = Some(Target::Alias(entry));
            }
            first.get_or_insert(entry);
            prev_after = (!is_last).then_some(after);
            last_bound = bound;
            if is_last {
                tail_ty = ty;
            }
        }
        (first.unwrap_or(cont), tail_ty)
    }

    fn end_label(&mut self) -> Label {
        let b = self.cur_block;
        self.label(Some(Target::End(b)))
    }

    /// Returns (entry, the variable this statement bound with a single call state, tail type).
    fn stmt(
        &mut self,
        stmt: &Stmt,
        cont: Label,
        tail: bool,
        last_bound: Option<String>,
    ) -> (Label, Option<String>, Option<TokenStream>) {
        match stmt {
            Stmt::Local(local) => {
                let name = state_attr(self.cx, &local.attrs);
                let Some(init) = &local.init else {
                    self.cx
                        .error(local, "give the variable its value here: `let x = …;`");
                    return (cont, None, None);
                };
                if let Some((_, d)) = &init.diverge {
                    self.cx
                        .error(d, "`let … else` cannot be lowered; use `match`");
                }
                let expr = &*init.expr;
                let (inner, awaited, tried) = strip_await(expr);
                if awaited {
                    if !tried {
                        self.cx.error(expr, "add `?` (an error fails the execution) or `match` on the result to catch it");
                    }
                    if let Expr::Call(c) = inner {
                        if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("parallel")) {
                            return (self.parallel(&local.pat, c, cont, name), None, None);
                        }
                    }
                    if let Some(m) = map_call(inner) {
                        let bound = match &local.pat {
                            Pat::Ident(pi) => Some(pi.ident.to_string()),
                            _ => None,
                        };
                        return (self.map(&local.pat, m, cont, name), bound, None);
                    }
                    let ident = match &local.pat {
                        Pat::Ident(pi) => Some(pi.ident.clone()),
                        Pat::Wild(_) => None,
                        Pat::Type(pt) => match &*pt.pat {
                            Pat::Ident(pi) => Some(pi.ident.clone()),
                            _ => None,
                        },
                        other => {
                            self.cx.error(other, "bind the value to one name, e.g. `let reply = …`; read its fields as `reply.field`");
                            return (cont, None, None);
                        }
                    };
                    let entry = self.call(inner, ident.as_ref(), cont, name, Vec::new(), None);
                    return (entry, ident.map(|i| i.to_string()), None);
                }
                // A value without a state: a constant stays Rust, a workflow value is an alias.
                if !self.is_dynamic(expr.to_token_stream()) {
                    let stmt = quote!(#local);
                    self.emit(stmt);
                    return (cont, None, None);
                }
                if local.pat.to_token_stream().to_string() == "_" {
                    // `let _ = x;` reads nothing: no state.
                    return (cont, None, None);
                }
                let Pat::Ident(pi) = &local.pat else {
                    self.cx
                        .error(&local.pat, "bind a workflow value to one name");
                    return (cont, None, None);
                };
                if let Some(l) = self.value(expr) {
                    let ident = &pi.ident;
                    let pv = &self.pv;
                    match l.value {
                        Gen::Dyn(p) => {
                            self.emit(quote!(let #ident = #p;));
                            self.add_var(&ident.to_string());
                        }
                        _ => {
                            let _ = pv;
                            self.cx.error(expr, "a struct literal of workflow values goes straight into a call's argument; write it there");
                        }
                    }
                }
                (cont, None, None)
            }
            Stmt::Item(item) => {
                self.emit(quote!(#item));
                (cont, None, None)
            }
            Stmt::Macro(m) => {
                self.cx.error(m, "macros other than `format!` cannot be lowered into states; a workflow body runs on Step Functions, not as Rust");
                (cont, None, None)
            }
            Stmt::Expr(e, semi) => {
                let tail = tail && semi.is_none();
                self.expr_stmt(e, cont, tail, last_bound)
            }
        }
    }

    fn expr_stmt(
        &mut self,
        e: &Expr,
        cont: Label,
        tail: bool,
        last_bound: Option<String>,
    ) -> (Label, Option<String>, Option<TokenStream>) {
        let name = state_attr(self.cx, expr_attrs(e));
        match e {
            Expr::If(i) => (self.if_(i, cont, tail, name), None, None),
            Expr::Match(m) => {
                let (inner, awaited, tried) = strip_await(&m.expr);
                if awaited && !tried {
                    return (self.catch_match(m, inner, cont, tail, name), None, None);
                }
                (self.choice_match(m, cont, tail, name), None, None)
            }
            Expr::While(w) => {
                if let Some(l) = &w.label {
                    self.cx.error(l, "loop labels cannot be lowered; use `break` and `continue` of the innermost loop");
                }
                let head = self.label(None);
                let body_label = self.label(None);
                let (cond_check, cond) = match self.cond(&w.cond) {
                    Some(c) => c,
                    None => return (cont, None, None),
                };
                let derived = format!("While{}", cond_name(&w.cond));
                let sname = self.name(name, &derived, w.while_token.span);
                self.labels[head] = Some(Target::State(sname.clone()));
                self.choice_state(
                    &sname,
                    vec![(cond_check, cond, body_label)],
                    Some(cont),
                    w.while_token.span,
                );
                self.loops.push((cont, head));
                self.open();
                let (entry, _) = self.block(&w.body.stmts, head, false);
                self.close();
                self.loops.pop();
                self.labels[body_label] = Some(Target::Alias(entry));
                (head, None, None)
            }
            Expr::Loop(l) => {
                if let Some(lb) = &l.label {
                    self.cx.error(lb, "loop labels cannot be lowered; use `break` and `continue` of the innermost loop");
                }
                let head = self.label(None);
                self.loops.push((cont, head));
                self.open();
                let (entry, _) = self.block(&l.body.stmts, head, false);
                self.close();
                self.loops.pop();
                if entry == head {
                    self.cx.error(
                        l.loop_token,
                        "this loop has no state in it; it would never end",
                    );
                    self.labels[head] = Some(Target::Alias(cont));
                } else {
                    self.labels[head] = Some(Target::Alias(entry));
                }
                (head, None, None)
            }
            Expr::Break(b) => {
                if b.label.is_some() || b.expr.is_some() {
                    self.cx.error(b, "write a plain `break`");
                }
                match self.loops.last() {
                    Some((brk, _)) => (*brk, None, None),
                    None => {
                        self.cx.error(b, "`break` outside a loop");
                        (cont, None, None)
                    }
                }
            }
            Expr::Continue(c) => match self.loops.last() {
                Some((_, head)) => (*head, None, None),
                None => {
                    self.cx.error(c, "`continue` outside a loop");
                    (cont, None, None)
                }
            },
            Expr::Return(r) => {
                let end = self.end_label();
                match &r.expr {
                    Some(v) => {
                        let (entry, ty) = self.result(v, end, name, None);
                        (entry, None, ty)
                    }
                    None => {
                        self.cx
                            .error(r, "return `Ok(value)` or `Err(Failure::new(..))`");
                        (cont, None, None)
                    }
                }
            }
            Expr::Block(b) => {
                self.open();
                let (entry, ty) = self.block(&b.block.stmts, cont, tail);
                self.close();
                (entry, None, ty)
            }
            // `x = call(..).await?;`: the call's result replaces the variable's value (its
            // `Assign`), as a loop needs to change what its condition reads.
            Expr::Assign(a) if strip_await(&a.right).1 => {
                let Expr::Path(p) = &*a.left else {
                    self.cx.error(
                        &a.left,
                        "assign a call's result to a workflow variable: `x = call(..).await?;`",
                    );
                    return (cont, None, None);
                };
                let Some(ident) = p.path.get_ident().cloned() else {
                    self.cx.error(
                        &a.left,
                        "assign a call's result to a workflow variable: `x = call(..).await?;`",
                    );
                    return (cont, None, None);
                };
                let (inner, _, tried) = strip_await(&a.right);
                if !tried {
                    self.cx.error(&a.right, "add `?` (an error fails the execution) or `match` on the result to catch it");
                }
                let entry = self.call(inner, Some(&ident), cont, name, Vec::new(), None);
                (entry, Some(ident.to_string()), None)
            }
            _ => {
                let (inner, awaited, tried) = strip_await(e);
                if awaited {
                    if let Expr::Call(c) = inner {
                        if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("sleep") || p.path.is_ident("sleep_until"))
                        {
                            return (self.wait(c, cont, name), None, None);
                        }
                    }
                    if tail && !tried {
                        // The call's result is the workflow's result.
                        let entry = self.call(inner, None, cont, name, Vec::new(), Some(()));
                        let ty = self.last_call_ty.take().map(|t| quote!(#t));
                        return (entry, None, ty);
                    }
                    if !tried {
                        self.cx.error(e, "add `?` (an error fails the execution) or `match` on the result to catch it");
                    }
                    let entry = self.call(inner, None, cont, name, Vec::new(), None);
                    return (entry, None, None);
                }
                if tail {
                    let (entry, ty) = self.result(e, cont, name, last_bound);
                    return (entry, None, ty);
                }
                self.cx.error(e, "this statement cannot be lowered into states; a workflow statement awaits a call (`let x = call(..).await?;`), waits (`sleep(..).await`), branches (`if`, `match`), loops, or returns");
                (cont, None, None)
            }
        }
    }

    /// `Ok(v)` / `Err(f)` at a tail or in `return`.
    fn result(
        &mut self,
        e: &Expr,
        cont: Label,
        name: Option<(String, Span)>,
        last_bound: Option<String>,
    ) -> (Label, Option<TokenStream>) {
        let pv = self.pv.clone();
        let Expr::Call(c) = e else {
            self.cx.error(
                e,
                "a workflow ends with `Ok(value)`, `Err(Failure::new(..))` or an awaited call",
            );
            return (cont, None);
        };
        let ctor = match &*c.func {
            Expr::Path(p) => last_ident(&p.path),
            _ => String::new(),
        };
        if c.args.len() != 1 || (ctor != "Ok" && ctor != "Err") {
            self.cx.error(
                e,
                "a workflow ends with `Ok(value)`, `Err(Failure::new(..))` or an awaited call",
            );
            return (cont, None);
        }
        let arg = &c.args[0];
        if ctor == "Err" {
            return (self.fail(arg, name, e), None);
        }
        let ret = self.ret_ty.clone();
        let in_map = self.cur_block != 0;
        // `let r = call.await?; Ok(r)`: the call's state already ends with `r`.
        if let (Expr::Path(p), Some(b)) = (arg, &last_bound) {
            if p.path.is_ident(b) && name.is_none() {
                let ident = p.path.get_ident().expect("ident");
                if in_map {
                    let ty = quote!(#pv::type_of(&#ident));
                    return (cont, Some(ty));
                }
                let check = hole(ident, "val", arg);
                let func = &c.func;
                self.emit(quote!(let _ = || -> #ret { #func(#check) };));
                return (cont, None);
            }
        }
        // Unit output: nothing to shape.
        if let Expr::Tuple(t) = arg {
            if t.elems.is_empty() {
                return (cont, None);
            }
        }
        let Some(l) = self.value(arg) else {
            return (cont, None);
        };
        let check = &l.check;
        let ty = if in_map {
            Some(quote!(#pv::value_type(|| #check)))
        } else {
            let func = &c.func;
            self.emit(quote!(let _ = || -> #ret { #func(#check) };));
            None
        };
        let sname = self.name(name, "Output", arg.span());
        let s = ms("__sfn_s");
        let lang = self.lang();
        let shape = match &l.value {
            Gen::Const(k) => quote!(
                #pv::put(&mut #s, if #lang.is_jsonata() { "Output" } else { "Result" }, #pv::konst(&#k)?);
            ),
            Gen::Dyn(p) => quote!(
                if #lang.is_jsonata() {
                    #pv::put(&mut #s, "Output", #pv::whole_dyn(&#p)?);
                } else {
                    #pv::put(&mut #s, "OutputPath", #pv::serde_json::Value::String(#p.jsonpath()));
                }
            ),
            Gen::Object(t, fields) => {
                let o = ms("__sfn_o");
                let inner = self.object_fields(&o, t, fields);
                quote!({
                    let mut #o = #pv::Object::new();
                    #inner
                    #pv::put(&mut #s, if #lang.is_jsonata() { "Output" } else { "Parameters" }, #pv::serde_json::Value::Object(#o));
                })
            }
        };
        let label = self.label(Some(Target::State(sname.clone())));
        self.emit(quote! {
            let mut #s = #pv::Object::new();
            #pv::put(&mut #s, "Type", #pv::serde_json::Value::from("Pass"));
            #shape
        });
        self.link(&s, "Next", cont, arg.span());
        self.put_state(&sname, &s);
        (label, ty)
    }

    fn fail(&mut self, arg: &Expr, name: Option<(String, Span)>, whole: &Expr) -> Label {
        let pv = self.pv.clone();
        let s = ms("__sfn_s");
        let lang = self.lang();
        let derived = match arg {
            Expr::Call(c) => match c.args.first() {
                Some(Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                })) => s.value(),
                _ => "Fail".into(),
            },
            _ => "Fail".into(),
        };
        let sname = self.name(name, &derived, whole.span());
        let body = if !self.is_dynamic(arg.to_token_stream()) {
            let k = self.fresh("k");
            self.emit(quote!(let #k: #pv::Failure = #arg;));
            quote! {
                #pv::put(&mut #s, "Error", #pv::serde_json::Value::from(#k.error.clone()));
                #pv::put(&mut #s, "Cause", #pv::serde_json::Value::from(#k.cause.clone()));
            }
        } else if let Some((p, check)) = self.path(arg) {
            self.emit(quote!(let _ = || -> #pv::Failure { #check };));
            quote! {
                let __sfn_e = #pv::field(&#p, |__sfn_f: &#pv::Failure| &__sfn_f.error, "error")?;
                let __sfn_c = #pv::field(&#p, |__sfn_f: &#pv::Failure| &__sfn_f.cause, "cause")?;
                if #lang.is_jsonata() {
                    #pv::put(&mut #s, "Error", #pv::whole_dyn(&__sfn_e)?);
                    #pv::put(&mut #s, "Cause", #pv::whole_dyn(&__sfn_c)?);
                } else {
                    #pv::put(&mut #s, "ErrorPath", #pv::serde_json::Value::String(__sfn_e.jsonpath()));
                    #pv::put(&mut #s, "CausePath", #pv::serde_json::Value::String(__sfn_c.jsonpath()));
                }
            }
        } else {
            self.cx.error(
                arg,
                "fail with a constant `Failure::new(\"Error\", \"Cause\")` or a caught error `e`",
            );
            return self.label(None);
        };
        let label = self.label(Some(Target::State(sname.clone())));
        self.emit(quote! {
            let mut #s = #pv::Object::new();
            #pv::put(&mut #s, "Type", #pv::serde_json::Value::from("Fail"));
            #body
        });
        self.put_state(&sname, &s);
        label
    }

    fn wait(&mut self, c: &syn::ExprCall, cont: Label, name: Option<(String, Span)>) -> Label {
        let pv = self.pv.clone();
        let until = matches!(&*c.func, Expr::Path(p) if p.path.is_ident("sleep_until"));
        let Some(arg) = c.args.first().filter(|_| c.args.len() == 1) else {
            self.cx.error(c, "`sleep` takes one `Duration`");
            return cont;
        };
        let s = ms("__sfn_s");
        let lang = self.lang();
        let body = if !self.is_dynamic(arg.to_token_stream()) {
            let k = self.fresh("k");
            if until {
                self.emit(quote!(let #k: ::std::string::String = ::std::string::ToString::to_string(&#arg);));
                quote!(#pv::put(&mut #s, "Timestamp", #pv::serde_json::Value::from(#k.clone()));)
            } else {
                self.emit(quote!(let #k: ::core::time::Duration = #arg;));
                quote!(#pv::put(&mut #s, "Seconds", #pv::duration_seconds(&#k));)
            }
        } else {
            let inner = match (until, arg) {
                (true, a) => a,
                (false, Expr::Call(dc))
                    if dc.args.len() == 1
                        && matches!(&*dc.func, Expr::Path(p) if last_ident(&p.path) == "from_secs") =>
                {
                    &dc.args[0]
                }
                _ => {
                    self.cx.error(arg, "wait a constant `Duration`, or `Duration::from_secs(x.seconds)` for a number of seconds read from a workflow value");
                    return cont;
                }
            };
            let Some((p, check)) = self.path(inner) else {
                self.cx.error(
                    inner,
                    "a wait reads its time from a field path, e.g. `x.delay_seconds`",
                );
                return cont;
            };
            if until {
                self.emit(
                    quote!(let _ = || { #pv::same(&::std::string::ToString::to_string(&#check)) };),
                );
            } else {
                self.emit(quote!(let _ = || -> u64 { #check };));
            }
            let (key, jkey) = if until {
                ("TimestampPath", "Timestamp")
            } else {
                ("SecondsPath", "Seconds")
            };
            quote! {
                if #lang.is_jsonata() {
                    #pv::put(&mut #s, #jkey, #pv::whole_dyn(&#p)?);
                } else {
                    #pv::put(&mut #s, #key, #pv::serde_json::Value::String(#p.jsonpath()));
                }
            }
        };
        let sname = self.name(name, "Wait", c.span());
        let label = self.label(Some(Target::State(sname.clone())));
        self.emit(quote! {
            let mut #s = #pv::Object::new();
            #pv::put(&mut #s, "Type", #pv::serde_json::Value::from("Wait"));
            #body
        });
        self.link(&s, "Next", cont, c.span());
        self.put_state(&sname, &s);
        label
    }

    fn parse_chain<'e>(&mut self, e: &'e Expr) -> Option<CallChain<'e>> {
        let mut cur = e;
        let mut pattern = None;
        let mut opts = Vec::new();
        loop {
            match cur {
                Expr::MethodCall(m) => {
                    let name = m.method.to_string();
                    match name.as_str() {
                        "start" | "sync" | "sync2" | "wait_for_task_token" => {
                            if pattern.is_some() {
                                self.cx.error(&m.method, "give one of `.start()`, `.sync()`, `.sync2()`, `.wait_for_task_token()`");
                            }
                            pattern = Some((
                                m.method.clone(),
                                m.turbofish.as_ref().map(|t| t.to_token_stream()),
                            ));
                        }
                        "name"
                        | "associate_with_parent"
                        | "trace_header"
                        | "timeout"
                        | "heartbeat"
                        | "retry" => {
                            opts.push((m.method.clone(), m.args.iter().collect()));
                        }
                        _ => {
                            self.cx.error(&m.method, format!("`.{name}()` is not a call option; the options are `.name()`, `.associate_with_parent()`, `.trace_header()`, `.timeout()`, `.heartbeat()`, `.retry()`"));
                            return None;
                        }
                    }
                    cur = &m.receiver;
                }
                Expr::Call(c) => {
                    let Expr::Path(p) = &*c.func else {
                        self.cx.error(
                            &c.func,
                            "call a `#[task]` fn or `start_execution::<Workflow>(..)` by name",
                        );
                        return None;
                    };
                    if c.args.len() != 1 {
                        self.cx
                            .error(c, "a task or a nested execution takes exactly one input");
                        return None;
                    }
                    let last = p.path.segments.last()?;
                    let base = if last.ident == "start_execution" {
                        let syn::PathArguments::AngleBracketed(ab) = &last.arguments else {
                            self.cx.error(
                                last,
                                "name the child workflow: `start_execution::<Child>(input)`",
                            );
                            return None;
                        };
                        let Some(syn::GenericArgument::Type(ty)) = ab.args.first() else {
                            self.cx.error(
                                ab,
                                "name the child workflow: `start_execution::<Child>(input)`",
                            );
                            return None;
                        };
                        let ty_name = match ty {
                            syn::Type::Path(tp) => last_ident(&tp.path),
                            _ => "StartExecution".into(),
                        };
                        Base::Child {
                            func: &c.func,
                            ty: ty.to_token_stream(),
                            ty_name,
                            arg: &c.args[0],
                        }
                    } else {
                        if let Some((m, _)) = &pattern {
                            self.cx.error(m, "`.start()`, `.sync()`, `.sync2()` and `.wait_for_task_token()` belong to `start_execution::<Child>(..)`");
                        }
                        Base::Task {
                            path: &p.path,
                            arg: &c.args[0],
                        }
                    };
                    if matches!(base, Base::Child { .. }) && pattern.is_none() {
                        self.cx.error(e, "say how to wait for the child: `.start()`, `.sync()`, `.sync2()` or `.wait_for_task_token::<T>()`");
                        return None;
                    }
                    opts.reverse();
                    return Some(CallChain {
                        base,
                        pattern,
                        opts,
                        whole: e,
                    });
                }
                Expr::Paren(p) => cur = &p.expr,
                other => {
                    self.cx.error(
                        other,
                        "a workflow awaits a `#[task]` fn call or `start_execution::<Child>(..)`",
                    );
                    return None;
                }
            }
        }
    }

    /// A Task state for a call; `bind` names the variable its result goes to; `catches` are
    /// `(ErrorEquals, error variable, target)`; `tail` when its value is the workflow's.
    fn call(
        &mut self,
        e: &Expr,
        bind: Option<&Ident>,
        cont: Label,
        name: Option<(String, Span)>,
        catches: Vec<(Vec<String>, Option<Ident>, Label)>,
        tail: Option<()>,
    ) -> Label {
        let pv = self.pv.clone();
        let lang = self.lang();
        let Some(chain) = self.parse_chain(e) else {
            return cont;
        };
        let s = ms("__sfn_s");
        let a = ms("__sfn_a");
        let config = ms("__sfn_config");
        let mut body = TokenStream::new();
        let (check, derived, lambda_kind) = match &chain.base {
            Base::Child {
                func,
                ty,
                ty_name,
                arg,
            } => {
                let Some(input) = self.value(arg) else {
                    return cont;
                };
                let (pattern, turbofish) = chain.pattern.clone().expect("checked");
                let has_token = mentions(arg.to_token_stream(), &|n| n == "task_token");
                if pattern == "wait_for_task_token" && !has_token {
                    self.cx.error(&pattern, "`.wait_for_task_token()` needs the task token in the child's input: add a field set to `task_token()`, e.g. `token: task_token()`");
                }
                if pattern != "wait_for_task_token" && has_token {
                    self.cx.error(
                        arg,
                        "`task_token()` only has a value in a `.wait_for_task_token()` call",
                    );
                }
                let suffix = match pattern.to_string().as_str() {
                    "start" => "",
                    "sync" => ".sync",
                    "sync2" => ".sync:2",
                    _ => ".waitForTaskToken",
                };
                let resource = format!("arn:aws:states:::states:startExecution{suffix}");
                let icheck = &input.check;
                let func = respan(quote!(#pv::start_execution::<#ty>), func.span());
                let check = quote!(#pv::call_type(|| #func(#icheck).#pattern #turbofish ()));
                let associate = chain.opts.iter().any(|(m, _)| m == "associate_with_parent");
                let put_input = match (&input.value, associate) {
                    (Gen::Object(t, fields), true) => {
                        let o = ms("__sfn_o");
                        let inner = self.object_fields(&o, t, fields);
                        quote!({
                            let mut #o = #pv::Object::new();
                            #inner
                            #pv::put_dyn(&mut #o, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID", &#pv::Var::<::std::string::String>::at(#pv::Root::ExecutionId), #lang)?;
                            #pv::put(&mut #a, "Input", #pv::serde_json::Value::Object(#o));
                        })
                    }
                    (Gen::Const(k), true) => quote!({
                        let mut __sfn_o = #pv::const_object(&#k)?;
                        #pv::put_dyn(&mut __sfn_o, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID", &#pv::Var::<::std::string::String>::at(#pv::Root::ExecutionId), #lang)?;
                        #pv::put(&mut #a, "Input", #pv::serde_json::Value::Object(__sfn_o));
                    }),
                    (g, true) => {
                        let _ = g;
                        self.cx.error(arg, "`.associate_with_parent()` adds a field to the input: write the input as a struct literal");
                        TokenStream::new()
                    }
                    (g, false) => self.put_gen(&a, quote!("Input"), g),
                };
                body.extend(quote! {
                    #pv::put(&mut #s, "Resource", #pv::serde_json::Value::from(#resource));
                    let mut #a = #pv::Object::new();
                    #put_input
                    #pv::put(&mut #a, "StateMachineArn", #pv::serde_json::Value::from(#pv::child_arn::<#ty>(#config)));
                });
                for (m, args) in &chain.opts {
                    let key = match m.to_string().as_str() {
                        "name" => "Name",
                        "trace_header" => "TraceHeader",
                        _ => continue,
                    };
                    let Some(v) = args.first().and_then(|x| self.value(x)) else {
                        continue;
                    };
                    let c = &v.check;
                    self.emit(quote!(let _ = || -> ::std::string::String { ::core::convert::Into::into(#c) };));
                    body.extend(self.put_gen(&a, quote!(#key), &v.value));
                }
                body.extend(quote! {
                    #pv::put(&mut #s, if #lang.is_jsonata() { "Arguments" } else { "Parameters" }, #pv::serde_json::Value::Object(#a));
                });
                (check, ty_name.clone(), false)
            }
            Base::Task { path, arg } => {
                let Some(input) = self.value(arg) else {
                    return cont;
                };
                if mentions(arg.to_token_stream(), &|n| n == "task_token") {
                    self.cx.error(
                        arg,
                        "`task_token()` only has a value in a `.wait_for_task_token()` call",
                    );
                }
                let icheck = &input.check;
                let check = quote!(#pv::task_type(|| #path(#icheck)));
                for (m, _) in &chain.opts {
                    if m == "name" || m == "associate_with_parent" || m == "trace_header" {
                        self.cx.error(
                            m,
                            format!("`.{m}()` belongs to `start_execution::<Child>(..)`"),
                        );
                    }
                }
                let put_payload = self.put_gen(&a, quote!("Payload"), &input.value);
                let params = match &input.value {
                    Gen::Object(t, fields) => {
                        let inner = self.object_fields(&a, t, fields);
                        quote!(let mut #a = #pv::Object::new(); #inner
                            #pv::put(&mut #s, if #lang.is_jsonata() { "Arguments" } else { "Parameters" }, #pv::serde_json::Value::Object(#a));)
                    }
                    Gen::Const(k) => quote!(
                        #pv::put(&mut #s, if #lang.is_jsonata() { "Arguments" } else { "Parameters" }, #pv::konst(&#k)?);
                    ),
                    Gen::Dyn(p) => quote!(
                        if #lang.is_jsonata() {
                            #pv::put(&mut #s, "Arguments", #pv::whole_dyn(&#p)?);
                        } else {
                            #pv::put(&mut #s, "InputPath", #pv::serde_json::Value::String(#p.jsonpath()));
                        }
                    ),
                };
                body.extend(quote! {
                    match <#path as #pv::TaskSpec>::KIND {
                        #pv::TaskKind::Lambda(__sfn_function) => {
                            #pv::put(&mut #s, "Resource", #pv::serde_json::Value::from(#pv::LAMBDA_INVOKE));
                            let mut #a = #pv::Object::new();
                            #pv::put(&mut #a, "FunctionName", #pv::serde_json::Value::from(#config.function_arn(__sfn_function)));
                            #put_payload
                            #pv::put(&mut #s, if #lang.is_jsonata() { "Arguments" } else { "Parameters" }, #pv::serde_json::Value::Object(#a));
                            if #lang.is_jsonata() {
                                #pv::put(&mut #s, "Output", #pv::serde_json::Value::from("{% $states.result.Payload %}"));
                            } else {
                                #pv::put(&mut #s, "OutputPath", #pv::serde_json::Value::from("$.Payload"));
                            }
                        }
                        #pv::TaskKind::Resource(__sfn_resource) => {
                            #pv::put(&mut #s, "Resource", #pv::serde_json::Value::from(__sfn_resource));
                            #params
                        }
                    }
                });
                let derived = path
                    .segments
                    .last()
                    .map(|s| attr::pascal(&s.ident.to_string()))
                    .unwrap_or_default();
                (check, derived, true)
            }
        };
        let sname = self.name(name, &derived, chain.whole.span());
        let label = self.label(Some(Target::State(sname.clone())));
        // The typed half: the call's value type, and the variable it is kept in.
        let ty = self.fresh("ty");
        self.emit(quote!(let #ty = #check;));
        self.last_call_ty = Some(ty.clone());
        if tail.is_some() && self.cur_block == 0 {
            let ret = &self.ret_ty;
            let check_ret = match &chain.base {
                Base::Child { .. } => quote!(let _ = || -> #ret { #pv::awaited_ret(#ty) };),
                Base::Task { .. } => quote!(let _ = || -> #ret { #pv::awaited_ret(#ty) };),
            };
            self.emit(check_ret);
        }
        // Assign the result when it is read later.
        let assign = match bind {
            Some(b) if self.used_later(&b.to_string()) => {
                let bname = b.to_string();
                let bname = bname.trim_start_matches("r#").to_owned();
                Some(quote! {
                    let mut __sfn_assign = #pv::Object::new();
                    let __sfn_lambda = #lambda_kind && #pv::is_lambda_task(&#s);
                    if #lang.is_jsonata() {
                        let __sfn_r = if __sfn_lambda { "{% $states.result.Payload %}" } else { "{% $states.result %}" };
                        #pv::put(&mut __sfn_assign, #bname, #pv::serde_json::Value::from(__sfn_r));
                    } else {
                        let __sfn_r = if __sfn_lambda { "$.Payload" } else { "$" };
                        #pv::put(&mut __sfn_assign, &::std::format!("{}.$", #bname), #pv::serde_json::Value::from(__sfn_r));
                    }
                    #pv::put(&mut #s, "Assign", #pv::serde_json::Value::Object(__sfn_assign));
                })
            }
            _ => None,
        };
        if let Some(b) = bind {
            let bname = b.to_string();
            let bname = bname.trim_start_matches("r#").to_owned();
            self.emit(quote!(let #b = #pv::var(#ty, #bname);));
            self.add_var(&b.to_string());
        }
        let mut retries = Vec::new();
        let mut extra = TokenStream::new();
        for (m, args) in &chain.opts {
            let Some(arg) = args.first() else { continue };
            match m.to_string().as_str() {
                "retry" => {
                    let k = self.fresh("k");
                    self.emit(quote!(let #k: #pv::Retry = #arg;));
                    retries.push(quote!(#k.to_json()));
                }
                "timeout" | "heartbeat" => {
                    let key = if m == "timeout" {
                        "TimeoutSeconds"
                    } else {
                        "HeartbeatSeconds"
                    };
                    if self.is_dynamic(arg.to_token_stream()) {
                        self.cx.error(arg, "give a constant `Duration`");
                        continue;
                    }
                    let k = self.fresh("k");
                    self.emit(quote!(let #k: ::core::time::Duration = #arg;));
                    extra.extend(quote!(#pv::put(&mut #s, #key, #pv::duration_seconds(&#k));));
                }
                _ => {}
            }
        }
        self.emit(quote! {
            let mut #s = #pv::Object::new();
            #pv::put(&mut #s, "Type", #pv::serde_json::Value::from("Task"));
            #body
            #assign
            #extra
            let mut __sfn_retry: ::std::vec::Vec<#pv::serde_json::Value> = ::std::vec::Vec::new();
            if #lambda_kind && #pv::is_lambda_task(&#s) {
                __sfn_retry.push(#pv::Retry::lambda_service_errors().to_json());
            }
            #(__sfn_retry.push(#retries);)*
            if !__sfn_retry.is_empty() {
                #pv::put(&mut #s, "Retry", #pv::serde_json::Value::Array(__sfn_retry));
            }
        });
        if !catches.is_empty() {
            let arr = ms("__sfn_catch");
            self.emit(quote!(let mut #arr: ::std::vec::Vec<#pv::serde_json::Value> = ::std::vec::Vec::new();));
            for (errors, evar, target) in catches {
                let c = ms("__sfn_c");
                let assign = match evar {
                    Some(ev) if self.used_later(&ev.to_string()) => {
                        let n = ev.to_string();
                        quote! {
                            let mut __sfn_assign = #pv::Object::new();
                            if #lang.is_jsonata() {
                                #pv::put(&mut __sfn_assign, #n, #pv::serde_json::Value::from("{% $states.errorOutput %}"));
                            } else {
                                #pv::put(&mut __sfn_assign, &::std::format!("{}.$", #n), #pv::serde_json::Value::from("$"));
                            }
                            #pv::put(&mut #c, "Assign", #pv::serde_json::Value::Object(__sfn_assign));
                        }
                    }
                    _ => TokenStream::new(),
                };
                self.emit(quote! {
                    let mut #c = #pv::Object::new();
                    #pv::put(&mut #c, "ErrorEquals", #pv::serde_json::json!([#(#errors),*]));
                    #assign
                });
                self.link(&c, "Next", target, e.span());
                self.emit(quote!(#arr.push(#pv::serde_json::Value::Object(#c));));
            }
            self.emit(quote!(#pv::put(&mut #s, "Catch", #pv::serde_json::Value::Array(#arr));));
        }
        self.link(&s, "Next", cont, e.span());
        self.put_state(&sname, &s);
        label
    }

    fn cond(&mut self, e: &Expr) -> Option<(TokenStream, TokenStream)> {
        let pv = self.pv.clone();
        match e {
            Expr::Paren(p) => self.cond(&p.expr),
            Expr::Binary(b) => {
                let op = &b.op;
                match b.op {
                    BinOp::And(_) | BinOp::Or(_) => {
                        let (lc, l) = self.cond(&b.left)?;
                        let (rc, r) = self.cond(&b.right)?;
                        let f = if matches!(b.op, BinOp::And(_)) {
                            quote!(and)
                        } else {
                            quote!(or)
                        };
                        Some((quote!((#lc) #op (#rc)), quote!(#pv::Cond::#f(#l, #r))))
                    }
                    BinOp::Eq(_)
                    | BinOp::Ne(_)
                    | BinOp::Lt(_)
                    | BinOp::Le(_)
                    | BinOp::Gt(_)
                    | BinOp::Ge(_) => {
                        let ops = op.to_token_stream().to_string();
                        let ld = self.is_dynamic(b.left.to_token_stream());
                        let rd = self.is_dynamic(b.right.to_token_stream());
                        let l = self.value(&b.left)?;
                        let r = self.value(&b.right)?;
                        let (lc, rc) = (&l.check, &r.check);
                        let check = quote!(#lc #op #rc);
                        let flip = |o: &str| {
                            match o {
                                "<" => ">",
                                ">" => "<",
                                "<=" => ">=",
                                ">=" => "<=",
                                o => o,
                            }
                            .to_owned()
                        };
                        let cond = match (&l.value, &r.value, ld, rd) {
                            (Gen::Dyn(p), Gen::Const(k), _, false) => {
                                quote!(#pv::Cond::cmp(&#p, #ops, &#k)?)
                            }
                            (Gen::Const(k), Gen::Dyn(p), false, _) => {
                                let f = flip(&ops);
                                quote!(#pv::Cond::cmp(&#p, #f, &#k)?)
                            }
                            (Gen::Dyn(p), Gen::Dyn(q), _, _) => {
                                quote!(#pv::Cond::cmp_paths(&#p, #ops, &#q)?)
                            }
                            _ => {
                                self.cx.error(b, "a Choice compares a workflow value with a constant or with another workflow value");
                                return None;
                            }
                        };
                        Some((check, cond))
                    }
                    _ => {
                        self.cx.error(b, "a Choice condition uses `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||` and `!`");
                        None
                    }
                }
            }
            Expr::Unary(u) if matches!(u.op, UnOp::Not(_)) => {
                let (c, cond) = self.cond(&u.expr)?;
                Some((quote!(!(#c)), quote!(#pv::Cond::negate(#cond))))
            }
            Expr::MethodCall(m)
                if (m.method == "is_some" || m.method == "is_none") && m.args.is_empty() =>
            {
                let (p, check) = self.path(&m.receiver).or_else(|| {
                    self.cx.error(
                        &m.receiver,
                        "`.is_some()` tests a field path, e.g. `x.note.is_some()`",
                    );
                    None
                })?;
                let method = &m.method;
                let present = m.method == "is_some";
                Some((
                    quote!(#check.#method()),
                    quote!(#pv::Cond::present(&#p, #present)),
                ))
            }
            Expr::Call(c)
                if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("is_null"))
                    && c.args.len() == 1 =>
            {
                let arg = match &c.args[0] {
                    Expr::Reference(r) => &*r.expr,
                    a => a,
                };
                let (p, check) = self.path(arg)?;
                let f = &c.func;
                Some((quote!(#f(&#check)), quote!(#pv::Cond::null(&#p))))
            }
            _ => {
                if let Some((p, check)) = self.path(e) {
                    return Some((check, quote!(#pv::Cond::truthy(&#p.cast::<bool>()))));
                }
                self.cx.error(e, "a Choice condition compares workflow values (`x.total > 100`), tests `x.flag`, `x.note.is_some()` or `is_null(&x.note)`, and combines them with `&&`, `||` and `!`");
                None
            }
        }
    }

    /// A Choice state: rules `(check, cond, target)` and a default.
    fn choice_state(
        &mut self,
        sname: &str,
        rules: Vec<(TokenStream, TokenStream, Label)>,
        default: Option<Label>,
        span: Span,
    ) {
        let pv = self.pv.clone();
        let lang = self.lang();
        let s = ms("__sfn_s");
        let arr = ms("__sfn_rules");
        self.emit(quote! {
            let mut #s = #pv::Object::new();
            #pv::put(&mut #s, "Type", #pv::serde_json::Value::from("Choice"));
            let mut #arr: ::std::vec::Vec<#pv::serde_json::Value> = ::std::vec::Vec::new();
        });
        for (check, cond, target) in rules {
            let r = ms("__sfn_r");
            if !check.is_empty() {
                self.emit(quote!(let _ = || -> bool { #check };));
            }
            self.emit(quote!(let mut #r = (#cond).into_rule(#lang)?;));
            self.link(&r, "Next", target, span);
            self.emit(quote!(#arr.push(#pv::serde_json::Value::Object(#r));));
        }
        self.emit(quote!(#pv::put(&mut #s, "Choices", #pv::serde_json::Value::Array(#arr));));
        if let Some(d) = default {
            self.link(&s, "Default", d, span);
        }
        self.put_state(sname, &s);
    }

    fn arm_block(&mut self, body: &Expr, cont: Label, tail: bool) -> Label {
        self.open();
        let entry = match body {
            Expr::Block(b) => self.block(&b.block.stmts, cont, tail).0,
            e => {
                let stmts = vec![Stmt::Expr(e.clone(), None)];
                self.block(&stmts, cont, tail).0
            }
        };
        self.close();
        entry
    }

    fn if_(
        &mut self,
        i: &syn::ExprIf,
        cont: Label,
        tail: bool,
        name: Option<(String, Span)>,
    ) -> Label {
        if let Expr::Let(l) = &*i.cond {
            self.cx.error(
                l,
                "`if let` cannot be lowered; test `x.field.is_some()` and read `x.field` inside",
            );
            return cont;
        }
        let Some((check, cond)) = self.cond(&i.cond) else {
            return cont;
        };
        let derived = format!("If{}", cond_name(&i.cond));
        let sname = self.name(name, &derived, i.if_token.span);
        let label = self.label(Some(Target::State(sname.clone())));
        let then_l = self.label(None);
        let else_l = self.label(None);
        self.choice_state(
            &sname,
            vec![(check, cond, then_l)],
            Some(else_l),
            i.if_token.span,
        );
        self.open();
        let t = self.block(&i.then_branch.stmts, cont, tail).0;
        self.close();
        self.labels[then_l] = Some(Target::Alias(t));
        let e = match &i.else_branch {
            Some((_, e)) => match &**e {
                Expr::If(inner) => self.if_(inner, cont, tail, None),
                other => self.arm_block(other, cont, tail),
            },
            None => cont,
        };
        self.labels[else_l] = Some(Target::Alias(e));
        label
    }

    /// `match x.status { Status::A => …, _ => … }`: a Choice on a unit enum or a string.
    fn choice_match(
        &mut self,
        m: &syn::ExprMatch,
        cont: Label,
        tail: bool,
        name: Option<(String, Span)>,
    ) -> Label {
        let pv = self.pv.clone();
        let Some((p, check)) = self.path(&m.expr) else {
            self.cx.error(&m.expr, "`match` a field path (a unit enum or a string), or an awaited call to catch its errors");
            return cont;
        };
        let derived = format!("Match{}", cond_name(&m.expr));
        let sname = self.name(name, &derived, m.match_token.span);
        let label = self.label(Some(Target::State(sname.clone())));
        // rustc checks the patterns against the value's type, and exhaustiveness.
        let pats: Vec<_> = m.arms.iter().map(|a| arm_parts(a).0).collect();
        self.emit(quote!(let _ = || match #check { #(#pats => {})* };));
        let mut rules = Vec::new();
        let mut default = None;
        let mut targets = Vec::new();
        for arm in &m.arms {
            let (arm_pat, guard) = arm_parts(arm);
            if let Some(g) = guard {
                self.cx
                    .error(g, "a guard cannot be lowered; use `if` inside the arm");
            }
            let target = self.label(None);
            targets.push((target, arm));
            let mut consts = Vec::new();
            let alts: Vec<&Pat> = match arm_pat {
                Pat::Or(o) => o.cases.iter().collect(),
                p => vec![p],
            };
            let mut is_default = false;
            for alt in alts {
                match alt {
                    Pat::Wild(_) => is_default = true,
                    Pat::Path(pp) => consts.push(quote!(#pp)),
                    Pat::Lit(l) => consts.push(quote!(#l)),
                    other => self.cx.error(other, "a Choice arm matches unit enum variants or literals, or `_` for the default"),
                }
            }
            if is_default {
                default = Some(target);
                continue;
            }
            let mut cond = TokenStream::new();
            for (i, c) in consts.iter().enumerate() {
                let one =
                    quote!(#pv::Cond::cmp(&#p, "==", &#pv::pattern(#pv::type_of(&#p), &#c)?)?);
                cond = if i == 0 {
                    one
                } else {
                    quote!(#pv::Cond::or(#cond, #one))
                };
            }
            rules.push((TokenStream::new(), cond, target));
        }
        let _ = &pv;
        self.choice_state(
            &sname,
            rules,
            default.or(Some(cont)).filter(|_| default.is_some()),
            m.match_token.span,
        );
        for (target, arm) in targets {
            let entry = self.arm_block(&arm.body, cont, tail);
            self.labels[target] = Some(Target::Alias(entry));
        }
        label
    }

    /// `match call.await { Ok(v) => …, Err(e) if e.is("X") => …, Err(e) => … }`: Catch.
    fn catch_match(
        &mut self,
        m: &syn::ExprMatch,
        call: &Expr,
        cont: Label,
        tail: bool,
        name: Option<(String, Span)>,
    ) -> Label {
        let mut ok: Option<(Option<Ident>, &Expr)> = None;
        let mut errs = Vec::new();
        for arm in &m.arms {
            let (arm_pat, guard) = arm_parts(arm);
            let Pat::TupleStruct(ts) = arm_pat else {
                self.cx.error(
                    &arm.pat,
                    "match a call's result with `Ok(v)` and `Err(e)` arms",
                );
                continue;
            };
            let ctor = last_ident(&ts.path);
            let bind = match ts.elems.first() {
                Some(Pat::Ident(pi)) => Some(pi.ident.clone()),
                Some(Pat::Wild(_)) => None,
                _ => {
                    self.cx.error(&ts.elems, "bind the value to a name or `_`");
                    None
                }
            };
            if ctor == "Ok" {
                ok = Some((bind, &arm.body));
            } else if ctor == "Err" {
                let errors = match guard {
                    None => vec!["States.ALL".to_owned()],
                    Some(g) => match error_names(g) {
                        Some(v) => v,
                        None => {
                            self.cx.error(g, "a catch guard names errors: `e.is(\"States.Timeout\") || e.is(\"Custom\")`");
                            continue;
                        }
                    },
                };
                errs.push((errors, bind, &arm.body));
            } else {
                self.cx.error(
                    &ts.path,
                    "match a call's result with `Ok(v)` and `Err(e)` arms",
                );
            }
        }
        let mut catches = Vec::new();
        let mut err_bodies = Vec::new();
        for (errors, bind, body) in errs {
            let target = self.label(None);
            catches.push((errors, bind.clone(), target));
            err_bodies.push((target, bind, body));
        }
        let ok_label = self.label(None);
        let (ok_bind, ok_body) = match ok {
            Some((b, body)) => (b, Some(body)),
            None => (None, None),
        };
        let entry = self.call(call, ok_bind.as_ref(), ok_label, name, catches, None);
        match ok_body {
            Some(body) => {
                let e = self.arm_block(body, cont, tail);
                self.labels[ok_label] = Some(Target::Alias(e));
            }
            None => self.labels[ok_label] = Some(Target::Alias(cont)),
        }
        let pv = self.pv.clone();
        for (target, bind, body) in err_bodies {
            self.open();
            if let Some(b) = &bind {
                let n = b.to_string();
                self.emit(quote!(let #b = #pv::var(#pv::failure_type(), #n);));
                self.add_var(&n);
            }
            let entry = match &**body {
                Expr::Block(bl) => self.block(&bl.block.stmts, cont, tail).0,
                e => self.block(&[Stmt::Expr(e.clone(), None)], cont, tail).0,
            };
            self.close();
            self.labels[target] = Some(Target::Alias(entry));
        }
        entry
    }

    /// `let (a, b) = parallel((call_a, call_b)).await?;`
    fn parallel(
        &mut self,
        pat: &Pat,
        c: &syn::ExprCall,
        cont: Label,
        name: Option<(String, Span)>,
    ) -> Label {
        let pv = self.pv.clone();
        let lang = self.lang();
        let Some(Expr::Tuple(t)) = c.args.first() else {
            self.cx.error(
                c,
                "`parallel` takes a tuple of calls: `parallel((a(x), b(y)))`",
            );
            return cont;
        };
        let binds: Vec<Option<Ident>> = match pat {
            Pat::Tuple(pt) if pt.elems.len() == t.elems.len() => pt
                .elems
                .iter()
                .map(|p| match p {
                    Pat::Ident(pi) => Some(pi.ident.clone()),
                    _ => None,
                })
                .collect(),
            Pat::Wild(_) => vec![None; t.elems.len()],
            other => {
                self.cx.error(
                    other,
                    "bind the results as a tuple of names: `let (a, b) = parallel((..)).await?;`",
                );
                return cont;
            }
        };
        let sname = self.name(name, "Parallel", c.span());
        let label = self.label(Some(Target::State(sname.clone())));
        let branches = ms("__sfn_branches");
        self.emit(quote!(let mut #branches: ::std::vec::Vec<#pv::serde_json::Value> = ::std::vec::Vec::new();));
        let outer = self.cur_block;
        let mut tys = Vec::new();
        for e in &t.elems {
            let (b, states) = self.new_block();
            self.cur_block = b;
            let end = self.end_label();
            self.emit(quote!(let mut #states = #pv::Object::new();));
            let ty = self.fresh("bty");
            self.open();
            let entry = self.call(e, None, end, None, Vec::new(), None);
            // The call's type local is the last `__sfn_ty`; re-derive it for the tuple.
            let out = self.fresh("branch");
            self.stack.last_mut().expect("chunks").push(Chunk::Finish {
                block: b,
                entry,
                out: Some(out.clone()),
            });
            self.emit(quote!(#branches.push(#pv::serde_json::Value::Object(#out));));
            self.close();
            let check = match self.branch_type(e) {
                Some(c) => c,
                None => return cont,
            };
            self.emit(quote!(let #ty = #check;));
            tys.push(ty);
            self.cur_block = outer;
        }
        let s = ms("__sfn_s");
        let mut assign = TokenStream::new();
        for (i, b) in binds.iter().enumerate() {
            let Some(b) = b else { continue };
            let n = b.to_string();
            let ty = &tys[i];
            let idx = i as i64;
            if self.used_later(&n) {
                assign.extend(quote! {
                    if #lang.is_jsonata() {
                        #pv::put(&mut __sfn_assign, #n, #pv::serde_json::Value::from(::std::format!("{{% $states.result[{}] %}}", #idx)));
                    } else {
                        #pv::put(&mut __sfn_assign, &::std::format!("{}.$", #n), #pv::serde_json::Value::from(::std::format!("$[{}]", #idx)));
                    }
                });
            }
            self.emit(quote!(let #b = #pv::var(#ty, #n);));
            self.add_var(&n);
        }
        self.emit(quote! {
            let mut #s = #pv::Object::new();
            #pv::put(&mut #s, "Type", #pv::serde_json::Value::from("Parallel"));
            #pv::put(&mut #s, "Branches", #pv::serde_json::Value::Array(#branches));
            let mut __sfn_assign = #pv::Object::new();
            #assign
            if !__sfn_assign.is_empty() {
                #pv::put(&mut #s, "Assign", #pv::serde_json::Value::Object(__sfn_assign));
            }
        });
        self.link(&s, "Next", cont, c.span());
        self.put_state(&sname, &s);
        label
    }

    /// The value type of a call in a branch, checked without re-lowering its argument.
    fn branch_type(&mut self, e: &Expr) -> Option<TokenStream> {
        let pv = self.pv.clone();
        let mut cur = e;
        let mut pattern = None;
        while let Expr::MethodCall(m) = cur {
            if matches!(
                m.method.to_string().as_str(),
                "start" | "sync" | "sync2" | "wait_for_task_token"
            ) {
                pattern = Some((m.method.clone(), m.turbofish.clone()));
            }
            cur = &m.receiver;
        }
        let Expr::Call(c) = cur else { return None };
        let Expr::Path(p) = &*c.func else { return None };
        let hole = quote!(#pv::of(::core::marker::PhantomData));
        Some(match pattern {
            Some((m, tf)) => {
                let f = &p.path;
                quote!(#pv::call_type(|| #f(#hole).#m #tf ()))
            }
            None => {
                let f = &p.path;
                quote!(#pv::task_type(|| #f(#hole)))
            }
        })
    }

    /// `let rs = map(items, |item| async move { … }).max_concurrency(n).await?;`
    fn map(
        &mut self,
        pat: &Pat,
        m: MapCall<'_>,
        cont: Label,
        name: Option<(String, Span)>,
    ) -> Label {
        let pv = self.pv.clone();
        let lang = self.lang();
        let Some((items, _)) = self.path(m.items) else {
            self.cx.error(m.items, "a Map iterates over a field path, e.g. `map(order.lines, |line| async move { … })`");
            return cont;
        };
        let Some(Pat::Ident(item_pat)) = m.closure.inputs.first() else {
            self.cx.error(
                &m.closure.inputs,
                "name the item: `|item| async move { … }`",
            );
            return cont;
        };
        let Expr::Async(body) = &*m.closure.body else {
            self.cx.error(
                &m.closure.body,
                "the Map body is an `async move { … }` block",
            );
            return cont;
        };
        let sname = self.name(name, "Map", m.whole.span());
        let label = self.label(Some(Target::State(sname.clone())));
        let item = item_pat.ident.clone();
        let item_name = item.to_string();
        // The item is the first state's input; later states need it in a variable.
        let stmts = &body.block.stmts;
        let later = stmts
            .iter()
            .skip(1)
            .any(|s| mentions(s.to_token_stream(), &|n| n == item_name));
        let first_is_call = stmts.first().is_some_and(|s| match s {
            Stmt::Local(l) => l.init.as_ref().is_some_and(|i| strip_await(&i.expr).1),
            Stmt::Expr(e, _) => strip_await(e).1,
            _ => false,
        });
        let needs_var = later || !first_is_call;
        let outer = self.cur_block;
        let (b, states) = self.new_block();
        self.cur_block = b;
        let end = self.end_label();
        self.emit(quote!(let mut #states = #pv::Object::new();));
        let ty = self.fresh("mty");
        let out = self.fresh("processor");
        self.emit(quote!(let #ty =));
        self.open();
        let root = if needs_var {
            quote!(#pv::Root::Var(::std::string::String::from(#item_name)))
        } else {
            quote!(#pv::Root::State)
        };
        self.emit(quote!(let #item = #pv::item_of(&#items, #root);));
        self.add_var(&item_name);
        let body_label = self.label(None);
        let entry = if needs_var {
            let pname = self.name(
                None,
                &format!("Assign{}", attr::pascal(&item_name)),
                item.span(),
            );
            let s = ms("__sfn_s");
            self.emit(quote! {
                let mut #s = #pv::Object::new();
                #pv::put(&mut #s, "Type", #pv::serde_json::Value::from("Pass"));
                let mut __sfn_assign = #pv::Object::new();
                if #lang.is_jsonata() {
                    #pv::put(&mut __sfn_assign, #item_name, #pv::serde_json::Value::from("{% $states.input %}"));
                } else {
                    #pv::put(&mut __sfn_assign, &::std::format!("{}.$", #item_name), #pv::serde_json::Value::from("$"));
                }
                #pv::put(&mut #s, "Assign", #pv::serde_json::Value::Object(__sfn_assign));
            });
            self.link(&s, "Next", body_label, item.span());
            self.put_state(&pname, &s);
            self.label(Some(Target::State(pname)))
        } else {
            body_label
        };
        let (body_entry, tail_ty) = self.block(stmts, end, true);
        self.labels[body_label] = Some(Target::Alias(body_entry));
        let tail_ty = tail_ty.unwrap_or_else(|| quote!(::core::marker::PhantomData::<()>));
        self.stack.last_mut().expect("chunks").push(Chunk::Finish {
            block: b,
            entry,
            out: Some(out.clone()),
        });
        self.emit(quote!(let __sfn_keep = #out; (#tail_ty, __sfn_keep)));
        let chunks = self.stack.pop().expect("chunks");
        self.vars.pop();
        self.stack
            .last_mut()
            .expect("chunks")
            .push(Chunk::Block(chunks));
        self.emit(quote!(;));
        self.cur_block = outer;
        let s = ms("__sfn_s");
        let bind = match pat {
            Pat::Ident(pi) => Some(pi.ident.clone()),
            Pat::Wild(_) => None,
            other => {
                self.cx.error(other, "bind the results to one name");
                None
            }
        };
        let mut assign = TokenStream::new();
        if let Some(bi) = &bind {
            let n = bi.to_string();
            if self.used_later(&n) {
                assign = quote! {
                    let mut __sfn_assign = #pv::Object::new();
                    if #lang.is_jsonata() {
                        #pv::put(&mut __sfn_assign, #n, #pv::serde_json::Value::from("{% $states.result %}"));
                    } else {
                        #pv::put(&mut __sfn_assign, &::std::format!("{}.$", #n), #pv::serde_json::Value::from("$"));
                    }
                    #pv::put(&mut #s, "Assign", #pv::serde_json::Value::Object(__sfn_assign));
                };
            }
        }
        let conc = match m.max_concurrency {
            Some(c) => {
                let k = self.fresh("k");
                self.emit(quote!(let #k: u32 = #c;));
                quote!(#pv::put(&mut #s, "MaxConcurrency", #pv::serde_json::Value::from(#k));)
            }
            None => TokenStream::new(),
        };
        let (mty, mproc) = (ms("__sfn_m_ty"), ms("__sfn_m_proc"));
        self.emit(quote! {
            let (#mty, mut #mproc) = #ty;
            let mut __sfn_pc = #pv::Object::new();
            #pv::put(&mut __sfn_pc, "Mode", #pv::serde_json::Value::from("INLINE"));
            let mut __sfn_ip = #pv::Object::new();
            #pv::put(&mut __sfn_ip, "ProcessorConfig", #pv::serde_json::Value::Object(__sfn_pc));
            __sfn_ip.append(&mut #mproc);
            let mut #s = #pv::Object::new();
            #pv::put(&mut #s, "Type", #pv::serde_json::Value::from("Map"));
            if #lang.is_jsonata() {
                #pv::put(&mut #s, "Items", #pv::whole_dyn(&#items)?);
            } else {
                #pv::put(&mut #s, "ItemsPath", #pv::serde_json::Value::String(#items.jsonpath()));
            }
            #pv::put(&mut #s, "ItemProcessor", #pv::serde_json::Value::Object(__sfn_ip));
            #conc
            #assign
        });
        if let Some(bi) = &bind {
            let n = bi.to_string();
            self.emit(quote!(let #bi = #pv::var(#pv::vec_of(#mty), #n);));
            self.add_var(&n);
        } else {
            self.emit(quote!(let _ = #mty;));
        }
        self.link(&s, "Next", cont, m.whole.span());
        self.put_state(&sname, &s);
        label
    }

    // ----- rendering ----------------------------------------------------------------------

    fn resolve(&self, mut l: Label) -> Option<Target> {
        for _ in 0..=self.labels.len() {
            match self.labels.get(l)?.clone()? {
                Target::Alias(n) => l = n,
                t => return Some(t),
            }
        }
        None
    }

    fn render(&mut self, chunks: Vec<Chunk>) -> TokenStream {
        let pv = self.pv.clone();
        let mut out = TokenStream::new();
        for c in chunks {
            match c {
                Chunk::Code(ts) => out.extend(ts),
                Chunk::Block(inner) => {
                    let inner = self.render(inner);
                    out.extend(quote!({ #inner }));
                }
                Chunk::Link { obj, key, label, span } => match self.resolve(label) {
                    Some(Target::State(n)) => out.extend(quote!(#pv::put(&mut #obj, #key, #pv::serde_json::Value::from(#n));)),
                    Some(Target::End(_)) if key == "Next" && obj != "__sfn_r" && obj != "__sfn_c" => {
                        out.extend(quote!(#pv::put(&mut #obj, "End", #pv::serde_json::Value::Bool(true));))
                    }
                    Some(Target::End(b)) => {
                        let n = self.succeed(b);
                        out.extend(quote!(#pv::put(&mut #obj, #key, #pv::serde_json::Value::from(#n));))
                    }
                    _ => self.cx.error_at(span, "this part of the workflow never reaches a state; a loop needs at least one state"),
                },
                Chunk::Finish { block, entry, out: var } => {
                    let states = self.blocks[block].states.clone();
                    let start = match self.resolve(entry) {
                        Some(Target::State(n)) => n,
                        _ => self.succeed(block),
                    };
                    if let Some(n) = self.blocks[block].succeed.clone() {
                        out.extend(quote! {
                            let mut __sfn_done = #pv::Object::new();
                            #pv::put(&mut __sfn_done, "Type", #pv::serde_json::Value::from("Succeed"));
                            #states.insert(::std::string::String::from(#n), #pv::serde_json::Value::Object(__sfn_done));
                        });
                    }
                    let lang = self.lang();
                    match var {
                        Some(v) => out.extend(quote!(let #v = #pv::block(#start, #states);)),
                        None => out.extend(quote!(#pv::finish(#lang, #start, #states))),
                    }
                }
            }
        }
        out
    }

    fn succeed(&mut self, block: usize) -> String {
        if let Some(n) = &self.blocks[block].succeed {
            return n.clone();
        }
        let n = self.name(None, "Done", Span::call_site());
        self.blocks[block].succeed = Some(n.clone());
        n
    }
}

/// An arm's pattern and guard (syn keeps the guard inside the pattern).
fn arm_parts(arm: &syn::Arm) -> (&Pat, Option<&Expr>) {
    match &arm.pat {
        Pat::Guard(g) => (&g.pat, Some(&g.guard)),
        p => (p, None),
    }
}

struct MapCall<'a> {
    items: &'a Expr,
    closure: &'a syn::ExprClosure,
    max_concurrency: Option<&'a Expr>,
    whole: &'a Expr,
}

fn map_call(e: &Expr) -> Option<MapCall<'_>> {
    let mut cur = e;
    let mut max = None;
    while let Expr::MethodCall(m) = cur {
        if m.method == "max_concurrency" && m.args.len() == 1 {
            max = Some(&m.args[0]);
            cur = &m.receiver;
        } else {
            return None;
        }
    }
    let Expr::Call(c) = cur else { return None };
    let Expr::Path(p) = &*c.func else { return None };
    if !p.path.is_ident("map") || c.args.len() != 2 {
        return None;
    }
    let Expr::Closure(cl) = &c.args[1] else {
        return None;
    };
    Some(MapCall {
        items: &c.args[0],
        closure: cl,
        max_concurrency: max,
        whole: e,
    })
}

/// `e.is("A") || e.is("B")` → `["A", "B"]`.
fn error_names(g: &Expr) -> Option<Vec<String>> {
    match g {
        Expr::Binary(b) if matches!(b.op, BinOp::Or(_)) => {
            let mut l = error_names(&b.left)?;
            l.extend(error_names(&b.right)?);
            Some(l)
        }
        Expr::Paren(p) => error_names(&p.expr),
        Expr::MethodCall(m) if m.method == "is" && m.args.len() == 1 => match &m.args[0] {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(vec![s.value()]),
            _ => None,
        },
        _ => None,
    }
}

/// A readable name part from a condition: its last field, in PascalCase.
fn cond_name(e: &Expr) -> String {
    match e {
        Expr::Field(f) => match &f.member {
            Member::Named(i) => attr::pascal(&i.to_string()),
            Member::Unnamed(_) => String::new(),
        },
        Expr::Path(p) => attr::pascal(&last_ident(&p.path)),
        Expr::Binary(b) => cond_name(&b.left),
        Expr::Unary(u) => cond_name(&u.expr),
        Expr::Paren(p) => cond_name(&p.expr),
        Expr::MethodCall(m) => cond_name(&m.receiver),
        Expr::Call(c) => c.args.first().map(cond_name).unwrap_or_default(),
        Expr::Reference(r) => cond_name(&r.expr),
        _ => String::new(),
    }
}

/// Expands `#[workflow(..)]` on `item`.
pub fn expand(args: TokenStream, item: syn::ItemFn) -> TokenStream {
    let cx = Ctxt::default();
    let args = attr::parse(&cx, args, attr::WORKFLOW_KEYS, "workflow");
    let krate = args.krate.clone();
    let sig = &item.sig;
    if sig.asyncness.is_none() {
        cx.error(sig.fn_token, "a workflow is an `async fn`; add `async`");
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        cx.error(&sig.generics, "a workflow cannot be generic: its definition is exported once, with fixed input and output types");
    }
    let struct_name = match &args.name {
        Some((n, span)) => {
            let ident_ok = n
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ident_ok {
                cx.error_at(
                    *span,
                    "the workflow's name is also its Rust type: use letters, digits and `_`",
                );
            }
            Ident::new(if ident_ok { n } else { "Workflow" }, *span)
        }
        None => Ident::new(&attr::pascal(&sig.ident.to_string()), sig.ident.span()),
    };
    let machine_name = struct_name.to_string();
    let (input_pat, input_ty) = match sig.inputs.iter().collect::<Vec<_>>().as_slice() {
        [syn::FnArg::Typed(pt)] => (Some((*pt.pat).clone()), pt.ty.to_token_stream()),
        _ => {
            cx.error(
                &sig.inputs,
                "a workflow takes exactly one input, e.g. `input: Order` (or `_input: ()`)",
            );
            (None, quote!(()))
        }
    };
    let (ret_ty, output_ty) = match &sig.output {
        syn::ReturnType::Type(_, ty) => {
            let out = match &**ty {
                syn::Type::Path(tp) => tp.path.segments.last().and_then(|s| {
                    if s.ident != "Result" {
                        return None;
                    }
                    match &s.arguments {
                        syn::PathArguments::AngleBracketed(ab) if ab.args.len() == 2 => {
                            match ab.args.first() {
                                Some(syn::GenericArgument::Type(t)) => Some(t.to_token_stream()),
                                _ => None,
                            }
                        }
                        _ => None,
                    }
                }),
                _ => None,
            };
            if out.is_none() {
                cx.error(ty, "a workflow returns `Result<Output, Failure>`");
            }
            (ty.to_token_stream(), out.unwrap_or_else(|| quote!(())))
        }
        syn::ReturnType::Default => {
            cx.error(
                &sig.ident,
                "a workflow returns `Result<Output, Failure>`; add `-> Result<Output, Failure>`",
            );
            (quote!(()), quote!(()))
        }
    };
    let vis = &item.vis;
    let docs: Vec<_> = item
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .collect();
    let pv = quote!(#krate::__private);
    let config = ms("__sfn_config");
    let lang_ident = ms("__sfn_lang");
    let lang = if args.jsonata {
        quote!(#pv::QueryLanguage::JsonAta)
    } else {
        quote!(#pv::QueryLanguage::JsonPath)
    };

    let mut body = TokenStream::new();
    if !cx.has_errors() {
        let mut lower = Lower::new(&cx, &krate, &item.block, ret_ty.clone());
        let (top, states) = lower.new_block();
        lower.emit(quote!(let mut #states = #pv::Object::new();));
        if let Some(pat) = &input_pat {
            match pat {
                Pat::Ident(pi) => {
                    let i = &pi.ident;
                    lower.emit(quote!(let #i = #pv::input::<#input_ty>();));
                    lower.add_var(&i.to_string());
                }
                Pat::Wild(_) => {}
                other => cx.error(other, "name the input, e.g. `input: Order`"),
            }
        }
        let end = lower.end_label();
        let (entry, _) = lower.block(&item.block.stmts, end, true);
        lower.stack.last_mut().expect("chunks").push(Chunk::Finish {
            block: top,
            entry,
            out: None,
        });
        let chunks = lower.stack.pop().expect("chunks");
        body = lower.render(chunks);
    }
    let test_mod = format_ident!("__sfn_definition_of_{}", sig.ident);
    let errors = cx.check().err().map(|e| e.into_compile_error());
    let definition = if errors.is_some() {
        // The type and its trait impl stay, so callers do not see a second error.
        quote!(::core::unimplemented!("the workflow did not compile"))
    } else {
        quote! {
            use #pv::Hole as _;
            let #lang_ident = #lang;
            let _ = #lang_ident;
            #body
        }
    };
    let test = if errors.is_some() {
        TokenStream::new()
    } else {
        quote! {
            #[cfg(test)]
            #[doc(hidden)]
            #[allow(non_snake_case)]
            mod #test_mod {
                #[test]
                fn definition_builds() {
                    if let ::core::result::Result::Err(e) = <super::#struct_name as #pv::StateMachine>::definition() {
                        ::core::panic!("the definition of `{}` cannot be built: {}", #machine_name, e);
                    }
                }
            }
        }
    };
    quote! {
        #errors
        #(#docs)*
        #[derive(Debug, Clone, Copy, Default)]
        #vis struct #struct_name;

        #[automatically_derived]
        impl #pv::StateMachine for #struct_name {
            type Input = #input_ty;
            type Output = #output_ty;
            const NAME: &'static str = #machine_name;
            #[allow(unused_variables, unused_mut, unused_braces, unreachable_code, clippy::all)]
            fn definition_with(#config: &#pv::DefinitionConfig) -> ::core::result::Result<#pv::Definition, #pv::DefinitionError> {
                #definition
            }
            fn input_schema() -> ::core::option::Option<#pv::serde_json::Value> {
                #[allow(unused_imports)]
                use #pv::{NoJsonSchema as _, ViaJsonSchema as _};
                (&#pv::SchemaProbe::<#input_ty>::new()).schema()
            }
            fn output_schema() -> ::core::option::Option<#pv::serde_json::Value> {
                #[allow(unused_imports)]
                use #pv::{NoJsonSchema as _, ViaJsonSchema as _};
                (&#pv::SchemaProbe::<#output_ty>::new()).schema()
            }
        }
        #test
    }
}
