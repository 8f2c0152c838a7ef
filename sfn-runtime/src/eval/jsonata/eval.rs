//! The evaluator: a port of `evaluate` and its helpers in jsonata-js `src/jsonata.js`
//! (2.0.6), over the processed tree of `sfn_core::jsonata`.

use std::collections::HashMap;
use std::rc::{Rc, Weak};

use serde_json::Value;
use sfn_core::jsonata::{
    BinaryOp, GroupBy, Lambda as LambdaNode, Node, NodeKind, Path, SortTerm, Stage,
};

use super::error::{Error, Result};
use super::functions::{self, boolean};
use super::regex::Matcher;
use super::signature::Sig;
use super::value::{
    Arr, Env, Frame, Func, Lambda, Lookup, Native, Obj, Val, deep_copy, deep_equal, grow,
    js_str_cmp, strict_equal,
};
use super::{Environment, Limits};
use crate::eval::Variables;

/// Stack kept free before evaluating a node, and the size of each extra segment.
const RED_ZONE: usize = 128 * 1024;
const STACK_SEGMENT: usize = 2 * 1024 * 1024;

/// What evaluating a lambda body in tail position gives: a value, or a call still to make
/// (jsonata-js's tail-call thunk, run by the trampoline in [`Evaluator::apply`]).
pub(crate) enum Tail<'a> {
    Done(Option<Val<'a>>),
    Call {
        node: &'a Node,
        input: Option<Val<'a>>,
        env: Env<'a>,
    },
}

/// The state of one evaluation.
pub(crate) struct Evaluator<'a, 'e> {
    states: &'a Value,
    variables: &'a dyn Variables,
    pub(crate) environment: &'e mut dyn Environment,
    limits: Limits,
    /// `$now()`/`$millis()`: the same instant throughout the evaluation.
    pub(crate) timestamp: i64,
    globals: HashMap<String, Option<Val<'a>>>,
    regexes: HashMap<usize, Rc<Matcher>>,
    signatures: HashMap<usize, Rc<Sig>>,
    native_signatures: HashMap<&'static str, Rc<Sig>>,
    depth: usize,
    steps: u64,
    allocated: u64,
    /// Every scope created, to break closure cycles at the end.
    frames: Vec<Weak<Frame<'a>>>,
    frames_live: usize,
}

impl<'a, 'e> Evaluator<'a, 'e> {
    pub fn new(
        states: &'a Value,
        variables: &'a dyn Variables,
        environment: &'e mut dyn Environment,
        limits: Limits,
    ) -> Self {
        let timestamp = environment.now_millis();
        Evaluator {
            states,
            variables,
            environment,
            limits,
            timestamp,
            globals: HashMap::new(),
            regexes: HashMap::new(),
            signatures: HashMap::new(),
            native_signatures: HashMap::new(),
            depth: 0,
            steps: 0,
            allocated: 0,
            frames: Vec::new(),
            frames_live: 0,
        }
    }

    /// A new scope inside `parent` (or the top-level scope).
    pub(crate) fn new_env(&mut self, parent: Option<&Env<'a>>) -> Env<'a> {
        let frame = Rc::new(Frame::new(parent.cloned()));
        if self.frames.len() >= 64 && self.frames.len() >= 2 * self.frames_live {
            self.frames.retain(|w| w.strong_count() > 0);
            self.frames_live = self.frames.len();
        }
        self.frames.push(Rc::downgrade(&frame));
        frame
    }

    /// Drops every binding of every scope still alive, so that closures referring to their
    /// own scope are freed.
    pub fn release(&mut self) {
        for frame in self.frames.drain(..) {
            if let Some(frame) = frame.upgrade() {
                frame.clear();
            }
        }
        self.globals.clear();
    }

    /// A scope binding the members of `tuple`.
    fn tuple_env(&mut self, env: &Env<'a>, tuple: &Val<'a>) -> Env<'a> {
        let frame = self.new_env(Some(env));
        if let Val::Obj(t) = tuple {
            for (k, v) in t.iter() {
                frame.bind(k, Some(v.clone()));
            }
        }
        frame
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        self.steps += 1;
        if self.depth > self.limits.max_depth {
            return Err(Error::new("U1001").message(
                "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.",
            ));
        }
        if self.steps > self.limits.max_steps {
            return Err(Error::new("U1001")
                .message("Expression evaluation timeout: Check for infinite loop"));
        }
        Ok(())
    }

    /// Counts `n` values created (see [`Limits::max_allocation`]).
    pub(crate) fn charge(&mut self, n: usize) -> Result<()> {
        self.allocated = self.allocated.saturating_add(n as u64);
        if self.allocated > self.limits.max_allocation {
            return Err(Error::new("U1001")
                .message("Expression evaluation created too much data: check for runaway growth"));
        }
        Ok(())
    }

    /// Counts what a new value holds at its top level.
    pub(crate) fn charge_value(&mut self, value: &Option<Val<'a>>) -> Result<()> {
        let n = match value {
            Some(Val::Arr(a)) => a.items.len(),
            Some(Val::Obj(o)) => o.len(),
            Some(Val::Str(s)) => s.len() / 16,
            _ => 0,
        };
        self.charge(n)
    }

    /// Counts a step of work done outside [`Evaluator::eval`] (sorting, loops in functions).
    pub(crate) fn tick(&mut self) -> Result<()> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(Error::new("U1001")
                .message("Expression evaluation timeout: Check for infinite loop"));
        }
        Ok(())
    }

    /// Evaluates `node` against `input` in `env` (jsonata-js `evaluate`).
    pub fn eval(
        &mut self,
        node: &'a Node,
        input: &Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Option<Val<'a>>> {
        let entered = self.enter();
        let result = match entered {
            Ok(()) => {
                stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || self.eval_node(node, input, env))
            }
            Err(e) => Err(e),
        };
        self.depth -= 1;
        result
    }

    fn eval_node(
        &mut self,
        node: &'a Node,
        input: &Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Option<Val<'a>>> {
        let mut result = match &node.kind {
            NodeKind::Path(path) => self.eval_path(node, path, input, env)?,
            NodeKind::Binary { op, lhs, rhs } => {
                self.eval_binary(node, *op, lhs, rhs, input, env)?
            }
            NodeKind::Negate(e) => self.eval_negate(node, e, input, env)?,
            NodeKind::Array { items, cons_array } => {
                self.eval_array(items, *cons_array, input, env)?
            }
            NodeKind::Object(pairs) => Some(self.eval_group(pairs, input.clone(), env)?),
            NodeKind::Name(name) => {
                let found = functions::lookup(input.as_ref(), name);
                if matches!(input, Some(Val::Arr(_))) {
                    self.charge_value(&found)?;
                }
                found
            }
            NodeKind::String(s) => Some(Val::str(s)),
            NodeKind::Number(n) => Some(Val::Num(*n)),
            NodeKind::Bool(b) => Some(Val::Bool(*b)),
            NodeKind::Null => Some(Val::Null),
            NodeKind::Wildcard => {
                let found = Some(eval_wildcard(input.as_ref()));
                self.charge_value(&found)?;
                found
            }
            NodeKind::Descendant => {
                let found = eval_descendants(input.as_ref());
                self.charge_value(&found)?;
                found
            }
            NodeKind::Parent { label } => match env.lookup(&format!("!{label}")) {
                Lookup::Bound(v) => v,
                Lookup::Global => None,
            },
            NodeKind::Condition {
                condition,
                then,
                otherwise,
            } => {
                let c = self.eval(condition, input, env)?;
                if boolean(c.as_ref())? == Some(true) {
                    self.eval(then, input, env)?
                } else if let Some(e) = otherwise {
                    self.eval(e, input, env)?
                } else {
                    None
                }
            }
            NodeKind::Default { lhs, rhs } => {
                let l = self.eval(lhs, input, env)?;
                if boolean(l.as_ref())? == Some(true) {
                    l
                } else {
                    self.eval(rhs, input, env)?
                }
            }
            NodeKind::Coalesce { lhs, rhs } => match self.eval(lhs, input, env)? {
                Some(v) => Some(v),
                None => self.eval(rhs, input, env)?,
            },
            NodeKind::Block { exprs, .. } => {
                let frame = self.new_env(Some(env));
                let mut result = None;
                for e in exprs {
                    result = self.eval(e, input, &frame)?;
                }
                result
            }
            NodeKind::Bind { name, value } => {
                let v = self.eval(value, input, env)?;
                env.bind(name, v.clone());
                v
            }
            NodeKind::Regex { pattern, flags } => Some(self.eval_regex(node, pattern, flags)?),
            NodeKind::Call {
                procedure,
                args,
                partial: false,
            } => self.eval_call(node, procedure, args, input, env, None)?,
            NodeKind::Call {
                procedure,
                args,
                partial: true,
            } => Some(self.eval_partial(node, procedure, args, input, env)?),
            NodeKind::Variable(name) => self.eval_variable(name, input, env),
            NodeKind::Lambda(lambda) => Some(self.make_lambda(lambda, input, env)),
            NodeKind::Apply { lhs, rhs } => self.eval_apply(node, lhs, rhs, input, env)?,
            NodeKind::Sort(terms) => {
                // Only ever a path step; evaluated on its own, it sorts its input.
                let items = input.as_ref().map(Val::items).unwrap_or_default();
                Some(self.eval_sort(node, terms, items, false, env)?)
            }
            NodeKind::Transform { .. } => Some(Val::func(Func::Transform {
                node,
                env: env.clone(),
            })),
            NodeKind::Placeholder => None,
        };

        let annotations = node.annotations();
        for filter in &annotations.predicates {
            result = Some(self.eval_filter(&filter.expr, result, env)?);
        }
        if !matches!(node.kind, NodeKind::Path(_)) {
            if let Some(group) = &annotations.group {
                result = Some(self.eval_group_by(group, result, env)?);
            }
        }
        Ok(normalize(result, annotations.keep_array))
    }

    fn eval_variable(
        &mut self,
        name: &str,
        input: &Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Option<Val<'a>> {
        if name.is_empty() {
            return match input {
                Some(Val::Arr(a)) if a.outer_wrapper => a.items.first().cloned(),
                other => other.clone(),
            };
        }
        match env.lookup(name) {
            Lookup::Bound(v) => v,
            Lookup::Global => self.global(name),
        }
    }

    /// A name not bound in the expression: a workflow variable, `$states`, a built-in.
    pub(crate) fn global(&mut self, name: &str) -> Option<Val<'a>> {
        if let Some(v) = self.globals.get(name) {
            return v.clone();
        }
        let value = if let Some(v) = self.variables.get(name) {
            Some(Val::from_json(v))
        } else if name == "states" {
            Some(Val::from_json(self.states))
        } else {
            functions::native(name).map(|native| Val::func(Func::Native(native)))
        };
        self.globals.insert(name.to_owned(), value.clone());
        value
    }

    /// Whether `name` is bound anywhere (for the "did you mean $name" errors).
    fn is_defined(&mut self, name: &str, env: &Env<'a>) -> bool {
        match env.lookup(name) {
            Lookup::Bound(v) => v.is_some(),
            Lookup::Global => self.global(name).is_some(),
        }
    }

    // ----- paths -------------------------------------------------------------------------

    fn eval_path(
        &mut self,
        node: &'a Node,
        path: &'a Path,
        input: &Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Option<Val<'a>>> {
        let first_is_variable = matches!(path.steps[0].kind, NodeKind::Variable(_));
        // The input sequence; an undefined input is a sequence of one undefined item.
        let mut input_seq: Vec<Option<Val<'a>>> = match input {
            Some(Val::Arr(a)) if !first_is_variable => a.items.iter().cloned().map(Some).collect(),
            other => vec![other.clone()],
        };
        let mut input_val: Option<Val<'a>> = match input {
            Some(Val::Arr(_)) if !first_is_variable => input.clone(),
            Some(v) => Some(Val::seq(vec![v.clone()])),
            None => Some(Val::seq(Vec::new())),
        };
        let mut result: Option<Val<'a>> = None;
        let mut is_tuple = false;
        let mut tuples: Option<Vec<Val<'a>>> = None;
        let last = path.steps.len() - 1;
        for (ii, step) in path.steps.iter().enumerate() {
            if step.annotations().tuple {
                is_tuple = true;
            }
            if ii == 0 && is_cons(step) {
                result = self.eval(step, &input_val, env)?;
            } else if is_tuple {
                tuples = Some(self.eval_tuple_step(step, &input_seq, tuples, env)?);
            } else {
                result = Some(self.eval_step(step, &input_seq, env, ii == last)?);
            }
            if !is_tuple {
                let empty = match &result {
                    None => true,
                    Some(Val::Arr(a)) => a.items.is_empty(),
                    Some(_) => false,
                };
                if empty {
                    break;
                }
            }
            if step.annotations().focus.is_none() {
                match &result {
                    Some(Val::Arr(a)) => {
                        input_seq = a.items.iter().cloned().map(Some).collect();
                        input_val = result.clone();
                    }
                    // Not an array: later steps find nothing to iterate over.
                    _ => {
                        input_seq = Vec::new();
                        input_val = Some(Val::seq(Vec::new()));
                    }
                }
            }
        }
        let mut stream = None;
        if is_tuple {
            let tuples = tuples.unwrap_or_default();
            let items = tuples
                .iter()
                .filter_map(|t| match t {
                    Val::Obj(o) => o.get("@").cloned(),
                    _ => None,
                })
                .collect();
            let mut a = Arr::seq(tuples);
            a.tuple_stream = true;
            let tuples = Val::arr(a);
            result = if node.annotations().tuple {
                Some(tuples.clone())
            } else {
                Some(Val::seq(items))
            };
            stream = Some(tuples);
        }
        if path.keep_singleton_array {
            if let Some(Val::Arr(a)) = &result {
                if a.cons && !a.sequence {
                    result = Some(Val::seq(vec![Val::Arr(a.clone())]));
                }
            }
            if let Some(Val::Arr(a)) = &mut result {
                Rc::make_mut(a).keep_singleton = true;
            }
        }
        if let Some(group) = &node.annotations().group {
            let grouped = if is_tuple { stream } else { result };
            result = Some(self.eval_group_by(group, grouped, env)?);
        }
        Ok(result)
    }

    /// One step over each item of the input (jsonata-js `evaluateStep`).
    fn eval_step(
        &mut self,
        step: &'a Node,
        input: &[Option<Val<'a>>],
        env: &Env<'a>,
        last: bool,
    ) -> Result<Val<'a>> {
        if let NodeKind::Sort(terms) = &step.kind {
            let items = input.iter().flatten().cloned().collect();
            let mut result = self.eval_sort(step, terms, items, false, env)?;
            for stage in &step.annotations().stages {
                if let Stage::Filter(f) = stage {
                    result = self.eval_filter(&f.expr, Some(result), env)?;
                }
            }
            return Ok(result);
        }
        let mut results: Vec<Val<'a>> = Vec::new();
        for item in input {
            let mut res = self.eval(step, item, env)?;
            for stage in &step.annotations().stages {
                if let Stage::Filter(f) = stage {
                    res = Some(self.eval_filter(&f.expr, res, env)?);
                }
            }
            if let Some(v) = res {
                results.push(v);
            }
        }
        if last && results.len() == 1 {
            if let Val::Arr(a) = &results[0] {
                if !a.sequence {
                    return Ok(results.swap_remove(0));
                }
            }
        }
        let mut out = Vec::with_capacity(results.len());
        for res in results {
            match res {
                Val::Arr(a) if !a.cons => out.extend(a.items.iter().cloned()),
                v => out.push(v),
            }
        }
        self.charge(out.len())?;
        Ok(Val::seq(out))
    }

    /// One step over a tuple stream (jsonata-js `evaluateTupleStep`).
    fn eval_tuple_step(
        &mut self,
        step: &'a Node,
        input: &[Option<Val<'a>>],
        tuples: Option<Vec<Val<'a>>>,
        env: &Env<'a>,
    ) -> Result<Vec<Val<'a>>> {
        let annotations = step.annotations();
        if let NodeKind::Sort(terms) = &step.kind {
            let mut result = match tuples {
                Some(t) => {
                    let sorted = self.eval_sort(step, terms, t, true, env)?;
                    sorted.items()
                }
                None => {
                    let items = input.iter().flatten().cloned().collect();
                    let sorted = self.eval_sort(step, terms, items, false, env)?;
                    sorted
                        .items()
                        .into_iter()
                        .enumerate()
                        .map(|(ss, v)| {
                            let mut t = Obj::new();
                            t.insert("@".to_owned(), v);
                            if let Some(index) = &annotations.index {
                                t.insert(index.clone(), Val::Num(ss as f64));
                            }
                            Val::obj(t)
                        })
                        .collect()
                }
            };
            result = self.eval_stages(&annotations.stages, result, env)?;
            return Ok(result);
        }
        let tuples = tuples.unwrap_or_else(|| {
            input
                .iter()
                .map(|item| {
                    let mut t = Obj::new();
                    if let Some(v) = item {
                        t.insert("@".to_owned(), v.clone());
                    }
                    Val::obj(t)
                })
                .collect()
        });
        let mut result = Vec::new();
        for tuple in &tuples {
            let Val::Obj(t) = tuple else { continue };
            let step_env = self.tuple_env(env, tuple);
            let context = t.get("@").cloned();
            let Some(res) = self.eval(step, &context, &step_env)? else {
                continue;
            };
            let (items, is_stream) = match &res {
                Val::Arr(a) => (a.items.clone(), a.tuple_stream),
                v => (vec![v.clone()], false),
            };
            self.charge(items.len() * (1 + t.len()))?;
            for (bb, item) in items.into_iter().enumerate() {
                let mut new = (**t).clone();
                if is_stream {
                    if let Val::Obj(binding) = &item {
                        for (k, v) in binding.iter() {
                            new.insert(k.clone(), v.clone());
                        }
                    }
                } else {
                    if let Some(focus) = &annotations.focus {
                        new.insert(focus.clone(), item);
                        match &context {
                            Some(c) => new.insert("@".to_owned(), c.clone()),
                            None => new.remove("@"),
                        }
                    } else {
                        new.insert("@".to_owned(), item);
                    }
                    if let Some(index) = &annotations.index {
                        new.insert(index.clone(), Val::Num(bb as f64));
                    }
                    if let Some(label) = annotations.ancestor {
                        if let Some(c) = &context {
                            new.insert(format!("!{label}"), c.clone());
                        }
                    }
                }
                result.push(Val::obj(new));
            }
        }
        self.eval_stages(&annotations.stages, result, env)
    }

    fn eval_stages(
        &mut self,
        stages: &'a [Stage],
        tuples: Vec<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Vec<Val<'a>>> {
        let mut result = tuples;
        for stage in stages {
            match stage {
                Stage::Filter(f) => {
                    let mut stream = Arr::seq(result);
                    stream.tuple_stream = true;
                    let filtered = self.eval_filter(&f.expr, Some(Val::arr(stream)), env)?;
                    result = filtered.items();
                }
                Stage::Index { variable, .. } => {
                    for (ee, tuple) in result.iter_mut().enumerate() {
                        if let Val::Obj(t) = tuple {
                            Rc::make_mut(t).insert(variable.clone(), Val::Num(ee as f64));
                        }
                    }
                }
            }
        }
        Ok(result)
    }

    /// `input[predicate]` (jsonata-js `evaluateFilter`).
    pub(crate) fn eval_filter(
        &mut self,
        predicate: &'a Node,
        input: Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Val<'a>> {
        let (items, tuple) = match &input {
            Some(Val::Arr(a)) => (a.items.clone(), a.tuple_stream),
            Some(v) => (vec![v.clone()], false),
            None => (Vec::new(), false),
        };
        let mut results = Arr::seq(Vec::new());
        results.tuple_stream = tuple;
        if let NodeKind::Number(n) = predicate.kind {
            let mut index = n.floor();
            if index < 0.0 {
                index += items.len() as f64;
            }
            if index >= 0.0 && index < items.len() as f64 {
                match &items[index as usize] {
                    Val::Arr(a) => return Ok(Val::Arr(a.clone())),
                    item => results.items.push(item.clone()),
                }
            }
            return Ok(Val::arr(results));
        }
        let len = items.len() as f64;
        for (index, item) in items.iter().enumerate() {
            let (context, item_env) = if tuple {
                let context = match item {
                    Val::Obj(t) => t.get("@").cloned(),
                    _ => None,
                };
                (context, self.tuple_env(env, item))
            } else {
                (Some(item.clone()), env.clone())
            };
            let res = self.eval(predicate, &context, &item_env)?;
            let res = match res {
                Some(Val::Num(n)) if !n.is_nan() => {
                    functions::check_finite(n)?;
                    Some(Val::array(vec![Val::Num(n)]))
                }
                other => other,
            };
            if functions::is_array_of_numbers(res.as_ref())? {
                for ires in res.iter().flat_map(Val::items) {
                    let mut ii = ires.as_num().unwrap_or(f64::NAN).floor();
                    if ii < 0.0 {
                        ii += len;
                    }
                    if ii == index as f64 {
                        results.items.push(item.clone());
                    }
                }
            } else if boolean(res.as_ref())? == Some(true) {
                results.items.push(item.clone());
            }
        }
        self.charge(results.items.len())?;
        Ok(Val::arr(results))
    }

    // ----- operators ---------------------------------------------------------------------

    fn eval_binary(
        &mut self,
        node: &'a Node,
        op: BinaryOp,
        lhs: &'a Node,
        rhs: &'a Node,
        input: &Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Option<Val<'a>>> {
        let l = self.eval(lhs, input, env)?;
        let tag = |e: Error| {
            let mut e = e.position(node.position);
            e.token = Some(op.symbol().to_owned());
            e
        };
        if op == BinaryOp::And || op == BinaryOp::Or {
            let left = boolean(l.as_ref()).map_err(tag)? == Some(true);
            let result = match op {
                BinaryOp::And => {
                    left && {
                        let r = self.eval(rhs, input, env)?;
                        boolean(r.as_ref()).map_err(tag)? == Some(true)
                    }
                }
                _ => {
                    left || {
                        let r = self.eval(rhs, input, env)?;
                        boolean(r.as_ref()).map_err(tag)? == Some(true)
                    }
                }
            };
            return Ok(Some(Val::Bool(result)));
        }
        let r = self.eval(rhs, input, env)?;
        let result = binary(op, l, r).map_err(tag)?;
        if matches!(op, BinaryOp::Concat | BinaryOp::Range) {
            self.charge_value(&result)?;
        }
        Ok(result)
    }

    fn eval_negate(
        &mut self,
        node: &'a Node,
        operand: &'a Node,
        input: &Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Option<Val<'a>>> {
        match self.eval(operand, input, env)? {
            None => Ok(None),
            Some(Val::Num(n)) if !n.is_nan() => {
                functions::check_finite(n)?;
                Ok(Some(Val::Num(-n)))
            }
            Some(v) => Err(Error::new("D1002")
                .value(Some(&v))
                .token("-")
                .position(node.position)),
        }
    }

    fn eval_array(
        &mut self,
        items: &'a [Node],
        cons: bool,
        input: &Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Option<Val<'a>>> {
        let mut out = Vec::new();
        for item in items {
            if let Some(value) = self.eval(item, input, env)? {
                if matches!(item.kind, NodeKind::Array { .. }) {
                    out.push(value);
                } else {
                    match value {
                        Val::Arr(a) => out.extend(a.items.iter().cloned()),
                        v => out.push(v),
                    }
                }
            }
        }
        self.charge(out.len())?;
        let mut a = Arr::plain(out);
        a.cons = cons;
        Ok(Some(Val::arr(a)))
    }

    /// An object constructor `{k: v}` on its own (jsonata-js `evaluateGroupExpression` with
    /// the context as input).
    fn eval_group(
        &mut self,
        pairs: &'a [(Node, Node)],
        input: Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Val<'a>> {
        self.group(pairs, 0, input, env)
    }

    fn eval_group_by(
        &mut self,
        group: &'a GroupBy,
        input: Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Val<'a>> {
        self.group(&group.pairs, group.position, input, env)
    }

    fn group(
        &mut self,
        pairs: &'a [(Node, Node)],
        position: usize,
        input: Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Val<'a>> {
        let reduce = matches!(&input, Some(Val::Arr(a)) if a.tuple_stream);
        let mut items: Vec<Option<Val<'a>>> = match &input {
            Some(Val::Arr(a)) => a.items.iter().cloned().map(Some).collect(),
            other => vec![other.clone()],
        };
        if items.is_empty() {
            items.push(None);
        }
        // Groups in first-seen order, each with its data and the pair that made it.
        let mut groups: Vec<(String, Option<Val<'a>>, usize)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for item in &items {
            let (context, item_env) = match (reduce, item) {
                (true, Some(t @ Val::Obj(o))) => (o.get("@").cloned(), self.tuple_env(env, t)),
                _ => (item.clone(), env.clone()),
            };
            for (pair_index, (key_node, _)) in pairs.iter().enumerate() {
                let key = self.eval(key_node, &context, &item_env)?;
                let key = match key {
                    None => continue,
                    Some(Val::Str(s)) => s.to_string(),
                    Some(other) => {
                        return Err(Error::new("T1003").value(Some(&other)).position(position));
                    }
                };
                match index.get(&key) {
                    Some(&g) => {
                        if groups[g].2 != pair_index {
                            return Err(Error::new("D1009")
                                .value(Some(&Val::string(key)))
                                .position(position));
                        }
                        let data = groups[g].1.take();
                        groups[g].1 = functions::append(data, item.clone());
                        let size = groups[g].1.as_ref().map_or(0, |d| d.items().len());
                        self.charge(size)?;
                    }
                    None => {
                        index.insert(key.clone(), groups.len());
                        groups.push((key, item.clone(), pair_index));
                    }
                }
            }
        }
        // Evaluated in JavaScript property order.
        let mut order: Vec<usize> = (0..groups.len()).collect();
        order.sort_by(|&a, &b| js_key_cmp(&groups[a].0, &groups[b].0));
        let mut result = Obj::new();
        for g in order {
            let (key, data, pair_index) = &groups[g];
            let (context, group_env) = if reduce {
                let mut tuple = reduce_tuple_stream(data.clone());
                let context = tuple.get("@").cloned();
                tuple.remove("@");
                let e = self.tuple_env(env, &Val::obj(tuple));
                (context, e)
            } else {
                (data.clone(), env.clone())
            };
            let value = self.eval(&pairs[*pair_index].1, &context, &group_env)?;
            if let Some(v) = value {
                result.insert(key.clone(), v);
            }
        }
        Ok(Val::obj(result))
    }

    // ----- functions ---------------------------------------------------------------------

    fn eval_regex(&mut self, node: &'a Node, pattern: &str, flags: &str) -> Result<Val<'a>> {
        let key = node as *const Node as usize;
        if let Some(m) = self.regexes.get(&key) {
            return Ok(Val::func(Func::Regex(m.clone())));
        }
        let matcher = Matcher::new(pattern, flags).map_err(|message| {
            let mut e = Error::new("");
            e.message = Some(message);
            e.position(node.position)
        })?;
        let matcher = Rc::new(matcher);
        self.regexes.insert(key, matcher.clone());
        Ok(Val::func(Func::Regex(matcher)))
    }

    fn make_lambda(
        &mut self,
        lambda: &'a LambdaNode,
        input: &Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Val<'a> {
        Val::func(Func::Lambda(Lambda {
            params: lambda.params.iter().map(String::as_str).collect(),
            body: &lambda.body,
            signature: lambda.signature.as_ref(),
            input: input.clone(),
            env: env.clone(),
        }))
    }

    /// The name a call reports in errors: the variable, or the first step of a path.
    fn procedure_name(procedure: &Node) -> Option<String> {
        match &procedure.kind {
            NodeKind::Variable(name) => Some(name.clone()),
            NodeKind::Path(p) => match &p.steps[0].kind {
                NodeKind::Name(n) | NodeKind::Variable(n) => Some(n.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// `f(args)` (jsonata-js `evaluateFunction`); `first` is the value piped in by `~>`.
    fn eval_call(
        &mut self,
        node: &'a Node,
        procedure: &'a Node,
        args: &'a [Node],
        input: &Option<Val<'a>>,
        env: &Env<'a>,
        first: Option<Option<Val<'a>>>,
    ) -> Result<Option<Val<'a>>> {
        let proc = self.eval(procedure, input, env)?;
        if proc.is_none() {
            if let NodeKind::Path(p) = &procedure.kind {
                if let NodeKind::Name(name) = &p.steps[0].kind {
                    if self.is_defined(name, env) {
                        return Err(Error::new("T1005")
                            .token(name.clone())
                            .position(node.position));
                    }
                }
            }
        }
        let mut evaluated = Vec::with_capacity(args.len() + 1);
        if let Some(first) = first {
            evaluated.push(first);
        }
        for arg in args {
            evaluated.push(self.eval(arg, input, env)?);
        }
        let name = Self::procedure_name(procedure);
        self.apply(proc.as_ref(), evaluated, input, env, name.as_deref())
            .map_err(|e| {
                let mut e = e;
                if e.position.is_none() {
                    e.position = Some(node.position);
                }
                if e.token.is_none() {
                    e.token = name.clone();
                }
                e
            })
    }

    /// `f(?, b)` (jsonata-js `evaluatePartialApplication`).
    fn eval_partial(
        &mut self,
        node: &'a Node,
        procedure: &'a Node,
        args: &'a [Node],
        input: &Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Val<'a>> {
        let mut evaluated: Vec<Option<Option<Val<'a>>>> = Vec::with_capacity(args.len());
        for arg in args {
            if matches!(arg.kind, NodeKind::Placeholder) {
                evaluated.push(None);
            } else {
                evaluated.push(Some(self.eval(arg, input, env)?));
            }
        }
        let proc = self.eval(procedure, input, env)?;
        if proc.is_none() {
            if let NodeKind::Path(p) = &procedure.kind {
                if let NodeKind::Name(name) = &p.steps[0].kind {
                    if self.is_defined(name, env) {
                        return Err(Error::new("T1007")
                            .token(name.clone())
                            .position(node.position));
                    }
                }
            }
        }
        match proc {
            Some(Val::Func(f)) => Ok(self.partially_apply(&f, evaluated)),
            _ => {
                let mut e = Error::new("T1008").position(node.position);
                e.token = Self::procedure_name(procedure);
                Err(e)
            }
        }
    }

    fn partially_apply(&mut self, f: &Rc<Func<'a>>, args: Vec<Option<Option<Val<'a>>>>) -> Val<'a> {
        match &**f {
            Func::Lambda(l) => {
                let env = self.new_env(Some(&l.env));
                let mut unbound = Vec::new();
                for (i, param) in l.params.iter().enumerate() {
                    match args.get(i) {
                        Some(None) => unbound.push(*param),
                        Some(Some(v)) => env.bind(param, v.clone()),
                        None => env.bind(param, None),
                    }
                }
                Val::func(Func::Lambda(Lambda {
                    params: unbound,
                    body: l.body,
                    signature: None,
                    input: l.input.clone(),
                    env,
                }))
            }
            Func::Partial {
                native,
                args: bound,
            } => {
                // Fill the remaining placeholders in order.
                let mut supplied = args.into_iter();
                let filled = bound
                    .iter()
                    .map(|b| match b {
                        Some(v) => Some(v.clone()),
                        None => match supplied.next() {
                            Some(a) => a,
                            None => Some(None),
                        },
                    })
                    .collect();
                Val::func(Func::Partial {
                    native: *native,
                    args: filled,
                })
            }
            Func::Native(native) => {
                let arity = native.arity.max(1);
                let mut args = args;
                args.truncate(arity);
                while args.len() < arity {
                    args.push(Some(None));
                }
                Val::func(Func::Partial {
                    native: *native,
                    args,
                })
            }
            other => {
                // A regex, transform, chain or match iterator: wrapped as a native with no
                // name whose first (bound) argument is the function itself.
                let arity = other.arity().max(1);
                let mut args = args;
                args.truncate(arity);
                while args.len() < arity {
                    args.push(Some(None));
                }
                Val::func(Func::Partial {
                    native: Native { name: "", arity },
                    args: std::iter::once(Some(Some(Val::Func(f.clone()))))
                        .chain(args)
                        .collect(),
                })
            }
        }
    }

    /// `lhs ~> rhs` (jsonata-js `evaluateApplyExpression`).
    fn eval_apply(
        &mut self,
        node: &'a Node,
        lhs: &'a Node,
        rhs: &'a Node,
        input: &Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Option<Val<'a>>> {
        let l = self.eval(lhs, input, env)?;
        if let NodeKind::Call {
            procedure,
            args,
            partial: false,
        } = &rhs.kind
        {
            // `x ~> f(a)` is `f(x, a)`. As in jsonata-js, the call is made directly, so
            // filters written on it are not applied.
            return self.eval_call(rhs, procedure, args, input, env, Some(l));
        }
        let func = self.eval(rhs, input, env)?;
        let Some(Val::Func(f)) = &func else {
            return Err(Error::new("T2006")
                .value(func.as_ref())
                .position(node.position));
        };
        if let Some(Val::Func(_)) = &l {
            let chain = Func::Chain {
                first: l.clone().unwrap_or(Val::Null),
                then: Val::Func(f.clone()),
            };
            return Ok(Some(Val::func(chain)));
        }
        self.apply(func.as_ref(), vec![l], &Some(Val::Null), env, None)
    }

    /// The signature a function's arguments are checked against.
    fn signature_of(&mut self, f: &Func<'a>) -> Result<Option<Rc<Sig>>> {
        Ok(match f {
            Func::Lambda(l) => match l.signature {
                Some(sig) => {
                    let key = sig as *const _ as usize;
                    if let Some(s) = self.signatures.get(&key) {
                        Some(s.clone())
                    } else {
                        let s = Rc::new(Sig::parse(&sig.text)?);
                        self.signatures.insert(key, s.clone());
                        Some(s)
                    }
                }
                None => None,
            },
            Func::Native(n) | Func::Partial { native: n, .. } if !n.name.is_empty() => {
                Some(self.native_signature(n.name)?)
            }
            Func::Transform { .. } => Some(self.native_signature("__transform")?),
            _ => None,
        })
    }

    pub(crate) fn native_signature(&mut self, name: &'static str) -> Result<Rc<Sig>> {
        if let Some(s) = self.native_signatures.get(name) {
            return Ok(s.clone());
        }
        let text = functions::signature(name);
        let s = Rc::new(Sig::parse(text)?);
        self.native_signatures.insert(name, s.clone());
        Ok(s)
    }

    /// Applies a function (jsonata-js `apply`), running tail calls in a loop.
    pub(crate) fn apply(
        &mut self,
        proc: Option<&Val<'a>>,
        args: Vec<Option<Val<'a>>>,
        input: &Option<Val<'a>>,
        env: &Env<'a>,
        token: Option<&str>,
    ) -> Result<Option<Val<'a>>> {
        let mut result = self.apply_inner(proc, args, input, env, token)?;
        loop {
            match result {
                Tail::Done(v) => return Ok(v),
                Tail::Call {
                    node,
                    input: call_input,
                    env: call_env,
                } => {
                    self.tick()?;
                    let NodeKind::Call {
                        procedure, args, ..
                    } = &node.kind
                    else {
                        return Ok(None);
                    };
                    let next = self.eval(procedure, &call_input, &call_env)?;
                    let mut evaluated = Vec::with_capacity(args.len());
                    for arg in args {
                        evaluated.push(self.eval(arg, &call_input, &call_env)?);
                    }
                    let name = Self::procedure_name(procedure);
                    result = self
                        .apply_inner(next.as_ref(), evaluated, input, env, name.as_deref())
                        .map_err(|mut e| {
                            if e.token.is_none() {
                                e.token = name.clone();
                            }
                            e
                        })?;
                }
            }
        }
    }

    /// jsonata-js `applyInner`: validates the arguments against the signature and calls.
    fn apply_inner(
        &mut self,
        proc: Option<&Val<'a>>,
        args: Vec<Option<Val<'a>>>,
        input: &Option<Val<'a>>,
        env: &Env<'a>,
        token: Option<&str>,
    ) -> Result<Tail<'a>> {
        let with_token = |mut e: Error| {
            if e.token.is_none() {
                e.token = token.map(str::to_owned);
            }
            e
        };
        let Some(Val::Func(f)) = proc else {
            return Err(with_token(Error::new("T1006")));
        };
        let f = f.clone();
        let args = match &*f {
            // A partial application checks the completed argument list below.
            Func::Partial { .. } => args,
            _ => match self.signature_of(&f).map_err(with_token)? {
                Some(sig) => sig.validate(&args, input.as_ref()).map_err(with_token)?,
                None => args,
            },
        };
        match &*f {
            Func::Lambda(l) => {
                let frame = self.new_env(Some(&l.env));
                for (i, param) in l.params.iter().enumerate() {
                    frame.bind(param, args.get(i).cloned().flatten());
                }
                let input = l.input.clone();
                self.eval_tail(l.body, &input, &frame).map_err(with_token)
            }
            Func::Native(n) => self
                .call_native(n.name, args, input, env)
                .map(Tail::Done)
                .map_err(with_token),
            Func::Partial {
                native,
                args: bound,
            } => {
                let mut supplied = args.into_iter();
                let filled: Vec<Option<Val<'a>>> = bound
                    .iter()
                    .map(|b| match b {
                        Some(v) => v.clone(),
                        None => supplied.next().flatten(),
                    })
                    .collect();
                if native.name.is_empty() {
                    // A wrapped non-native function: the first argument is the target.
                    let mut filled = filled.into_iter();
                    let target = filled.next().flatten();
                    let rest: Vec<_> = filled.collect();
                    return self.apply_inner(target.as_ref(), rest, input, env, token);
                }
                let sig = self.native_signature(native.name).map_err(with_token)?;
                let filled = sig.validate(&filled, None).map_err(with_token)?;
                self.call_native(native.name, filled, input, env)
                    .map(Tail::Done)
                    .map_err(with_token)
            }
            Func::Regex(m) => {
                // `RegExp.prototype.exec` converts its argument with `String()`, and the
                // second argument (an index, from a higher-order function) sets `lastIndex`.
                let text: Rc<str> = match args.first() {
                    Some(Some(Val::Str(s))) => s.clone(),
                    Some(other) => Rc::from(functions::js_string(other)),
                    None => Rc::from("undefined"),
                };
                let from = functions::js_last_index(args.get(1).unwrap_or(&None));
                Ok(Tail::Done(functions::regex_exec(
                    m,
                    Rc::from(super::value::utf16(&text)),
                    from,
                )))
            }
            Func::MatchNext {
                matcher,
                text,
                from,
            } => {
                if *from >= text.len() {
                    return Ok(Tail::Done(None));
                }
                let next = functions::regex_exec(matcher, text.clone(), *from);
                if let Some(Val::Obj(o)) = &next {
                    if matches!(o.get("match"), Some(Val::Str(s)) if s.is_empty()) {
                        return Err(with_token(
                            Error::new("D1004").value(Some(&Val::str(&matcher.source))),
                        ));
                    }
                }
                Ok(Tail::Done(next))
            }
            Func::Transform { node, env: t_env } => self
                .transform(node, t_env, args.into_iter().next().flatten())
                .map(Tail::Done)
                .map_err(with_token),
            Func::Chain { first, then } => {
                let x = args.into_iter().next().flatten();
                let null = Some(Val::Null);
                let y = self.apply(Some(first), vec![x], &null, env, None)?;
                let z = self.apply(Some(then), vec![y], &null, env, None)?;
                Ok(Tail::Done(z))
            }
        }
    }

    /// Evaluates a lambda body, leaving a call in tail position to the trampoline (what
    /// jsonata-js's `tailCallOptimize` arranges at parse time). Conditions and blocks count
    /// towards the nesting depth as their evaluation would.
    fn eval_tail(
        &mut self,
        node: &'a Node,
        input: &Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Tail<'a>> {
        if node.annotations.is_some() {
            return self.eval(node, input, env).map(Tail::Done);
        }
        match &node.kind {
            NodeKind::Call { partial: false, .. } => Ok(Tail::Call {
                node,
                input: input.clone(),
                env: env.clone(),
            }),
            NodeKind::Condition { .. } | NodeKind::Block { .. } => {
                let entered = self.enter();
                let result = match entered {
                    Ok(()) => stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
                        self.eval_tail_inner(node, input, env)
                    }),
                    Err(e) => Err(e),
                };
                self.depth -= 1;
                result
            }
            _ => self.eval(node, input, env).map(Tail::Done),
        }
    }

    fn eval_tail_inner(
        &mut self,
        node: &'a Node,
        input: &Option<Val<'a>>,
        env: &Env<'a>,
    ) -> Result<Tail<'a>> {
        match &node.kind {
            NodeKind::Condition {
                condition,
                then,
                otherwise,
            } => {
                let c = self.eval(condition, input, env)?;
                if boolean(c.as_ref())? == Some(true) {
                    self.eval_tail(then, input, env)
                } else if let Some(e) = otherwise {
                    self.eval_tail(e, input, env)
                } else {
                    Ok(Tail::Done(None))
                }
            }
            NodeKind::Block { exprs, .. } => {
                let frame = self.new_env(Some(env));
                let Some((last, rest)) = exprs.split_last() else {
                    return Ok(Tail::Done(None));
                };
                for e in rest {
                    self.eval(e, input, &frame)?;
                }
                self.eval_tail(last, input, &frame)
            }
            _ => self.eval(node, input, env).map(Tail::Done),
        }
    }

    // ----- sort and transform ------------------------------------------------------------

    /// Sorts `items` by the terms (jsonata-js `evaluateSortExpression`); `tuples` says the
    /// items are tuples whose `@` is the value sorted.
    fn eval_sort(
        &mut self,
        node: &'a Node,
        terms: &'a [SortTerm],
        items: Vec<Val<'a>>,
        tuples: bool,
        env: &Env<'a>,
    ) -> Result<Val<'a>> {
        if items.len() <= 1 {
            let mut a = Arr::seq(items);
            a.tuple_stream = tuples;
            return Ok(Val::arr(a));
        }
        // The sort keys of each item, computed once.
        let mut keys: Vec<Vec<Option<Val<'a>>>> = Vec::with_capacity(items.len());
        for item in &items {
            let (context, item_env) = if tuples {
                let context = match item {
                    Val::Obj(t) => t.get("@").cloned(),
                    _ => None,
                };
                (context, self.tuple_env(env, item))
            } else {
                (Some(item.clone()), env.clone())
            };
            let mut k = Vec::with_capacity(terms.len());
            for term in terms {
                k.push(self.eval(&term.expr, &context, &item_env)?);
            }
            keys.push(k);
        }
        let position = node.position;
        let indices: Vec<usize> = (0..items.len()).collect();
        let sorted = merge_sort(self, indices, &mut |_, a: &usize, b: &usize| {
            let mut comp = 0i32;
            for (t, term) in terms.iter().enumerate() {
                let aa = &keys[*a][t];
                let bb = &keys[*b][t];
                let (aa, bb) = match (aa, bb) {
                    (None, None) => continue,
                    (None, _) => {
                        comp = 1;
                        break;
                    }
                    (_, None) => {
                        comp = -1;
                        break;
                    }
                    (Some(x), Some(y)) => (x, y),
                };
                let comparable = |v: &Val<'_>| matches!(v, Val::Str(_) | Val::Num(_));
                if !comparable(aa) || !comparable(bb) {
                    let bad = if comparable(aa) { bb } else { aa };
                    return Err(Error::new("T2008").value(Some(bad)).position(position));
                }
                let ordering = match (aa, bb) {
                    (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
                    (Val::Str(x), Val::Str(y)) => Some(js_str_cmp(x, y)),
                    _ => {
                        return Err(Error::new("T2007")
                            .value(Some(aa))
                            .value2(Some(bb))
                            .position(position));
                    }
                };
                match ordering {
                    Some(std::cmp::Ordering::Equal) | None => continue,
                    Some(std::cmp::Ordering::Less) => comp = -1,
                    Some(std::cmp::Ordering::Greater) => comp = 1,
                }
                if term.descending {
                    comp = -comp;
                }
                break;
            }
            Ok(comp == 1)
        })?;
        let mut a = Arr::plain(sorted.into_iter().map(|i| items[i].clone()).collect());
        a.tuple_stream = tuples;
        a.sequence = tuples;
        Ok(Val::arr(a))
    }

    /// Applies a transform `| pattern | update, delete |` to `obj`.
    fn transform(
        &mut self,
        node: &'a Node,
        env: &Env<'a>,
        obj: Option<Val<'a>>,
    ) -> Result<Option<Val<'a>>> {
        let NodeKind::Transform {
            pattern,
            update,
            delete,
        } = &node.kind
        else {
            return Ok(None);
        };
        let Some(obj) = obj else {
            return Ok(None);
        };
        let clone = match env.lookup("clone") {
            Lookup::Bound(v) => v,
            Lookup::Global => self.global("clone"),
        };
        let copied = match &clone {
            Some(Val::Func(f)) if matches!(&**f, Func::Native(n) if n.name == "clone") => {
                // `$clone` writes the value as JSON: that bounds its size.
                super::functions::to_string(&obj, false)?;
                Some(obj)
            }
            Some(Val::Func(_)) => {
                self.apply(clone.as_ref(), vec![Some(obj)], &None, env, Some("clone"))?
            }
            _ => return Err(Error::new("T2013").position(node.position)),
        };
        let cloned = match copied {
            None => None,
            Some(v) => {
                let left = self.limits.max_allocation.saturating_sub(self.allocated);
                let mut budget = usize::try_from(left).unwrap_or(usize::MAX);
                let before = budget;
                let copy = deep_copy(&v, &mut budget);
                self.charge(before - budget)?;
                match copy {
                    Some(c) => Some(c),
                    None => return self.charge(usize::MAX).map(|()| None),
                }
            }
        };
        let Some(mut result) = cloned else {
            return Ok(None);
        };
        let matches = self.eval(pattern, &Some(result.clone()), env)?;
        let Some(matches) = matches else {
            return Ok(Some(result));
        };
        let matches = match matches {
            Val::Arr(a) => a.items.clone(),
            v => vec![v],
        };
        // Objects are changed in place in jsonata-js; here each change is recorded against
        // the identity of the object matched and applied by rebuilding the tree.
        let mut replaced: HashMap<usize, Rc<Obj<'a>>> = HashMap::new();
        for m in matches {
            self.tick()?;
            let Val::Obj(original) = &m else {
                // Only objects can be updated. jsonata-js (strict mode) assigns the update's
                // members to the match anyway: a TypeError for a primitive or `null`, and
                // nothing visible for an array.
                let context = Some(m.clone());
                let u = self.eval(update, &context, env)?;
                check_update(update, &u)?;
                if let Some(Val::Obj(u)) = &u
                    && let Some((name, _)) = u.iter().next()
                {
                    let message = match &m {
                        Val::Null => format!("Cannot set properties of null (setting '{name}')"),
                        Val::Num(n) => format!(
                            "Cannot create property '{name}' on number '{}'",
                            super::number::js_to_string(*n)
                        ),
                        Val::Str(s) => format!("Cannot create property '{name}' on string '{s}'"),
                        Val::Bool(b) => format!("Cannot create property '{name}' on boolean '{b}'"),
                        _ => String::new(),
                    };
                    if !message.is_empty() {
                        return Err(Error::new("").message(message));
                    }
                }
                if let Some(delete) = delete
                    && let Some(d) = self.eval(delete, &context, env)?
                    && !d.items().iter().all(|n| matches!(n, Val::Str(_)))
                {
                    return Err(Error::new("T2012")
                        .value(Some(&d))
                        .position(delete.position));
                }
                continue;
            };
            let key = Rc::as_ptr(original) as usize;
            let current = replaced
                .get(&key)
                .cloned()
                .unwrap_or_else(|| original.clone());
            let current = refresh_obj(&current, &replaced, &mut HashMap::new(), &mut Vec::new());
            let context = Some(Val::Obj(current.clone()));
            let u = self.eval(update, &context, env)?;
            check_update(update, &u)?;
            let mut changed = (*current).clone();
            if let Some(Val::Obj(u)) = &u {
                for (k, v) in u.iter() {
                    changed.insert(k.clone(), v.clone());
                }
            }
            if let Some(delete) = delete {
                let deletions = self.eval(delete, &context, env)?;
                if let Some(d) = deletions {
                    let names = d.items();
                    if !names.iter().all(|n| matches!(n, Val::Str(_))) {
                        return Err(Error::new("T2012")
                            .value(Some(&d))
                            .position(delete.position));
                    }
                    for n in names {
                        if let Val::Str(s) = n {
                            changed.remove(&s);
                        }
                    }
                }
            }
            replaced.insert(key, Rc::new(changed));
        }
        if !replaced.is_empty() {
            result = refresh(&result, &replaced, &mut HashMap::new(), &mut Vec::new());
        }
        Ok(Some(result))
    }
}

fn check_update(update: &Node, value: &Option<Val<'_>>) -> Result<()> {
    match value {
        None | Some(Val::Obj(_)) => Ok(()),
        Some(v) => Err(Error::new("T2011").value(Some(v)).position(update.position)),
    }
}

type Replaced<'a> = HashMap<usize, Rc<Obj<'a>>>;

/// `value` with the objects recorded in `replaced` swapped in, at any depth. `done` memoizes
/// objects already rebuilt (values share their parts); `open` holds the objects being
/// rebuilt, so that an object whose update refers to itself is not expanded without end.
fn refresh<'a>(
    value: &Val<'a>,
    replaced: &Replaced<'a>,
    done: &mut HashMap<usize, Rc<Obj<'a>>>,
    open: &mut Vec<usize>,
) -> Val<'a> {
    grow(|| match value {
        Val::Obj(o) => Val::Obj(refresh_obj(o, replaced, done, open)),
        Val::Arr(a) => {
            let items: Vec<Val<'a>> = a
                .items
                .iter()
                .map(|v| refresh(v, replaced, done, open))
                .collect();
            if items
                .iter()
                .zip(&a.items)
                .all(|(n, o)| same_container(n, o))
            {
                return Val::Arr(a.clone());
            }
            let mut out = a.clone_flags();
            out.items = items;
            Val::arr(out)
        }
        v => v.clone(),
    })
}

fn same_container<'a>(a: &Val<'a>, b: &Val<'a>) -> bool {
    match (a, b) {
        (Val::Obj(x), Val::Obj(y)) => Rc::ptr_eq(x, y),
        (Val::Arr(x), Val::Arr(y)) => Rc::ptr_eq(x, y),
        _ => true,
    }
}

fn refresh_obj<'a>(
    o: &Rc<Obj<'a>>,
    replaced: &Replaced<'a>,
    done: &mut HashMap<usize, Rc<Obj<'a>>>,
    open: &mut Vec<usize>,
) -> Rc<Obj<'a>> {
    let key = Rc::as_ptr(o) as usize;
    if let Some(d) = done.get(&key) {
        return d.clone();
    }
    if open.contains(&key) {
        return o.clone();
    }
    open.push(key);
    let base = replaced.get(&key).cloned().unwrap_or_else(|| o.clone());
    let mut changed = false;
    let mut out = Obj::new();
    for (k, v) in base.iter() {
        let nv = refresh(v, replaced, done, open);
        changed |= !same_container(v, &nv);
        out.insert(k.clone(), nv);
    }
    open.pop();
    let result = if changed { Rc::new(out) } else { base };
    done.insert(key, result.clone());
    result
}

/// Whether a first path step is an array constructor evaluated once on the whole input.
fn is_cons(step: &Node) -> bool {
    matches!(
        step.kind,
        NodeKind::Array {
            cons_array: true,
            ..
        } | NodeKind::Block {
            cons_array: true,
            ..
        }
    )
}

/// The end of jsonata-js `evaluate`: an empty sequence is undefined and a singleton
/// sequence its item, unless kept as an array.
fn normalize<'a>(result: Option<Val<'a>>, keep_array: bool) -> Option<Val<'a>> {
    match result {
        Some(Val::Arr(mut a)) if a.sequence && !a.tuple_stream => {
            if keep_array && !a.keep_singleton {
                Rc::make_mut(&mut a).keep_singleton = true;
            }
            match a.items.len() {
                0 => None,
                1 if !a.keep_singleton => Some(a.items[0].clone()),
                _ => Some(Val::Arr(a)),
            }
        }
        other => other,
    }
}

/// `*`: the values of the context object, arrays flattened.
fn eval_wildcard<'a>(input: Option<&Val<'a>>) -> Val<'a> {
    let mut out = Vec::new();
    let input = match input {
        Some(Val::Arr(a)) if a.outer_wrapper && !a.items.is_empty() => a.items.first(),
        other => other,
    };
    let values: Vec<Val<'a>> = match input {
        Some(Val::Obj(o)) => o.values().cloned().collect(),
        Some(Val::Arr(a)) => a.items.clone(),
        _ => Vec::new(),
    };
    for v in values {
        match v {
            Val::Arr(_) => flatten(&v, &mut out),
            v => out.push(v),
        }
    }
    Val::seq(out)
}

fn flatten<'a>(v: &Val<'a>, out: &mut Vec<Val<'a>>) {
    grow(|| flatten_inner(v, out));
}

fn flatten_inner<'a>(v: &Val<'a>, out: &mut Vec<Val<'a>>) {
    match v {
        Val::Arr(a) => a.items.iter().for_each(|i| flatten(i, out)),
        v => out.push(v.clone()),
    }
}

/// `**`: the context value and everything nested in it.
fn eval_descendants<'a>(input: Option<&Val<'a>>) -> Option<Val<'a>> {
    let input = input?;
    let mut out = Vec::new();
    let mut stack = vec![input.clone()];
    // Depth-first, in document order, without recursion.
    while let Some(v) = stack.pop() {
        match &v {
            Val::Arr(a) => stack.extend(a.items.iter().rev().cloned()),
            Val::Obj(o) => {
                out.push(v.clone());
                let values: Vec<_> = o.values().cloned().collect();
                stack.extend(values.into_iter().rev());
            }
            _ => out.push(v.clone()),
        }
    }
    if out.len() == 1 {
        out.pop()
    } else {
        Some(Val::seq(out))
    }
}

/// Merges the tuples of a group into one, each binding appended (`reduceTupleStream`).
fn reduce_tuple_stream<'a>(data: Option<Val<'a>>) -> Obj<'a> {
    match data {
        Some(Val::Arr(a)) => {
            let mut result = match a.items.first() {
                Some(Val::Obj(o)) => (**o).clone(),
                _ => Obj::new(),
            };
            for t in a.items.iter().skip(1) {
                if let Val::Obj(o) = t {
                    for (k, v) in o.iter() {
                        let existing = result.get(k).cloned();
                        if let Some(merged) = functions::append(existing, Some(v.clone())) {
                            result.insert(k.clone(), merged);
                        }
                    }
                }
            }
            result
        }
        Some(Val::Obj(o)) => (*o).clone(),
        _ => Obj::new(),
    }
}

/// JavaScript property order between two keys.
fn js_key_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let index = |k: &str| -> Option<u64> {
        if k.is_empty() || k.len() > 10 || (k.len() > 1 && k.starts_with('0')) {
            return None;
        }
        if !k.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        k.parse::<u64>().ok().filter(|n| *n < u64::from(u32::MAX))
    };
    match (index(a), index(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

/// The binary operators other than `and` and `or`.
fn binary<'a>(op: BinaryOp, l: Option<Val<'a>>, r: Option<Val<'a>>) -> Result<Option<Val<'a>>> {
    use BinaryOp::*;
    match op {
        Add | Subtract | Multiply | Divide | Modulo => {
            let numeric = |v: &Option<Val<'a>>, code: &'static str| -> Result<Option<f64>> {
                match v {
                    None => Ok(None),
                    Some(Val::Num(n)) if !n.is_nan() => {
                        functions::check_finite(*n)?;
                        Ok(Some(*n))
                    }
                    Some(other) => Err(Error::new(code).value(Some(other))),
                }
            };
            let x = numeric(&l, "T2001")?;
            let y = numeric(&r, "T2002")?;
            let (Some(x), Some(y)) = (x, y) else {
                return Ok(None);
            };
            let v = match op {
                Add => x + y,
                Subtract => x - y,
                Multiply => x * y,
                Divide => x / y,
                _ => x % y,
            };
            // Like JavaScript, `1/0` is Infinity; jsonata-js objects to it only where it
            // checks a number (`isNumeric`: operands, filters, sorting) and in the result.
            Ok(Some(Val::Num(v)))
        }
        Equal | NotEqual => {
            let (Some(x), Some(y)) = (&l, &r) else {
                return Ok(Some(Val::Bool(false)));
            };
            let eq = deep_equal(x, y);
            Ok(Some(Val::Bool(if op == Equal { eq } else { !eq })))
        }
        Less | LessOrEqual | Greater | GreaterOrEqual => {
            let comparable =
                |v: &Option<Val<'a>>| matches!(v, None | Some(Val::Str(_)) | Some(Val::Num(_)));
            if !comparable(&l) || !comparable(&r) {
                let bad = if matches!(l, Some(Val::Str(_)) | Some(Val::Num(_))) {
                    r.as_ref()
                } else {
                    l.as_ref()
                };
                return Err(Error::new("T2010").value(bad));
            }
            let (Some(x), Some(y)) = (&l, &r) else {
                return Ok(None);
            };
            let ordering = match (x, y) {
                (Val::Num(a), Val::Num(b)) => a.partial_cmp(b),
                (Val::Str(a), Val::Str(b)) => Some(js_str_cmp(a, b)),
                _ => {
                    return Err(Error::new("T2009").value(Some(x)).value2(Some(y)));
                }
            };
            use std::cmp::Ordering as O;
            let result = match (op, ordering) {
                (_, None) => false,
                (Less, Some(o)) => o == O::Less,
                (LessOrEqual, Some(o)) => o != O::Greater,
                (Greater, Some(o)) => o == O::Greater,
                (_, Some(o)) => o != O::Less,
            };
            Ok(Some(Val::Bool(result)))
        }
        Concat => {
            let text = |v: &Option<Val<'a>>| -> Result<String> {
                match v {
                    None => Ok(String::new()),
                    Some(v) => functions::to_string(v, false),
                }
            };
            let mut s = text(&l)?;
            s.push_str(&text(&r)?);
            Ok(Some(Val::string(s)))
        }
        Range => {
            let integer = |v: &Option<Val<'a>>, code: &'static str| -> Result<Option<f64>> {
                match v {
                    None => Ok(None),
                    Some(Val::Num(n)) if n.is_finite() && n.fract() == 0.0 => Ok(Some(*n)),
                    Some(other) => Err(Error::new(code).value(Some(other))),
                }
            };
            let x = integer(&l, "T2003")?;
            let y = integer(&r, "T2004")?;
            let (Some(x), Some(y)) = (x, y) else {
                return Ok(None);
            };
            if x > y {
                return Ok(None);
            }
            let size = y - x + 1.0;
            if size > 1e7 {
                return Err(Error::new("D2014").value(Some(&Val::Num(size))));
            }
            let items = (0..size as u64).map(|i| Val::Num(x + i as f64)).collect();
            Ok(Some(Val::seq(items)))
        }
        In => {
            let (Some(x), Some(y)) = (&l, &r) else {
                return Ok(Some(Val::Bool(false)));
            };
            let found = match y {
                Val::Arr(a) => a.items.iter().any(|v| strict_equal(v, x)),
                v => strict_equal(v, x),
            };
            Ok(Some(Val::Bool(found)))
        }
        And | Or => Ok(None),
    }
}

/// jsonata-js's merge sort: `swap(a, b)` says `b` goes before `a`. Stable.
pub(crate) fn merge_sort<'a, 'e, T: Clone>(
    ev: &mut Evaluator<'a, 'e>,
    items: Vec<T>,
    swap: &mut dyn FnMut(&mut Evaluator<'a, 'e>, &T, &T) -> Result<bool>,
) -> Result<Vec<T>> {
    if items.len() <= 1 {
        return Ok(items);
    }
    // Bottom-up, merging runs in the order the top-down version would.
    fn sort<'a, 'e, T: Clone>(
        ev: &mut Evaluator<'a, 'e>,
        items: &[T],
        swap: &mut dyn FnMut(&mut Evaluator<'a, 'e>, &T, &T) -> Result<bool>,
    ) -> Result<Vec<T>> {
        if items.len() <= 1 {
            return Ok(items.to_vec());
        }
        let middle = items.len() / 2;
        let left = sort(ev, &items[..middle], swap)?;
        let right = sort(ev, &items[middle..], swap)?;
        let mut out = Vec::with_capacity(items.len());
        let (mut i, mut j) = (0, 0);
        while i < left.len() && j < right.len() {
            ev.tick()?;
            if swap(ev, &left[i], &right[j])? {
                out.push(right[j].clone());
                j += 1;
            } else {
                out.push(left[i].clone());
                i += 1;
            }
        }
        out.extend_from_slice(&left[i..]);
        out.extend_from_slice(&right[j..]);
        Ok(out)
    }
    sort(ev, &items, swap)
}
