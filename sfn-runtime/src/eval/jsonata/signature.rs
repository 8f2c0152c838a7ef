//! Function signatures (`<s-nn?:s>`): argument validation as jsonata-js `src/signature.js`
//! does it, matching a string of one type symbol per argument against the parameters as a
//! regular expression would (greedy `?` and `+`, lazy `??` and `+?`).

use super::error::{Error, Result};
use super::value::{Arr, Val};

/// One parameter.
#[derive(Debug, Clone)]
struct Param {
    /// The symbols it accepts (`m` is undefined).
    class: String,
    /// The type as written: a letter, or `(…)` for a choice.
    kind: String,
    min: usize,
    max: usize,
    lazy: bool,
    /// `-`: the context value stands in for a missing argument of a type in `class`.
    context: bool,
    context_class: String,
    subtype: Option<String>,
}

/// A parsed signature.
#[derive(Debug, Clone)]
pub(crate) struct Sig {
    params: Vec<Param>,
}

fn closing(chars: &[char], start: usize, open: char, close: char) -> usize {
    let mut depth = 1;
    let mut position = start;
    while position < chars.len() {
        position += 1;
        match chars.get(position) {
            Some(&c) if c == close => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Some(&c) if c == open => depth += 1,
            _ => {}
        }
    }
    position
}

impl Sig {
    /// Parses `<…>`.
    pub fn parse(signature: &str) -> Result<Sig> {
        let chars: Vec<char> = signature.chars().collect();
        let mut params: Vec<Param> = Vec::new();
        // Quantifier text per parameter, as jsonata-js appends it to the regex.
        let mut quantifiers: Vec<String> = Vec::new();
        let mut position = 1;
        let new = |class: &str, kind: &str| Param {
            class: class.to_owned(),
            kind: kind.to_owned(),
            min: 1,
            max: 1,
            lazy: false,
            context: false,
            context_class: String::new(),
            subtype: None,
        };
        while position < chars.len() {
            let symbol = chars[position];
            match symbol {
                ':' => break,
                's' | 'n' | 'b' | 'l' | 'o' => {
                    params.push(new(&format!("{symbol}m"), &symbol.to_string()));
                    quantifiers.push(String::new());
                }
                'a' => {
                    params.push(new("asnblfom", "a"));
                    quantifiers.push(String::new());
                }
                'f' => {
                    params.push(new("f", "f"));
                    quantifiers.push(String::new());
                }
                'j' => {
                    params.push(new("asnblom", "j"));
                    quantifiers.push(String::new());
                }
                'x' => {
                    params.push(new("asnblfom", "x"));
                    quantifiers.push(String::new());
                }
                '-' => {
                    if let (Some(p), Some(q)) = (params.last_mut(), quantifiers.last_mut()) {
                        p.context = true;
                        p.context_class = p.class.clone();
                        q.push('?');
                    }
                }
                '?' | '+' => {
                    if let Some(q) = quantifiers.last_mut() {
                        q.push(symbol);
                    }
                }
                '(' => {
                    let end = closing(&chars, position, '(', ')');
                    let choice: String = chars[position + 1..end.min(chars.len())].iter().collect();
                    if choice.contains('<') {
                        return Err(Error::new("S0402").value(Some(&Val::string(choice))));
                    }
                    params.push(new(&format!("{choice}m"), &format!("({choice})")));
                    quantifiers.push(String::new());
                    position = end;
                }
                '<' => match params.last_mut() {
                    Some(p) if p.kind == "a" || p.kind == "f" => {
                        let end = closing(&chars, position, '<', '>');
                        p.subtype =
                            Some(chars[position + 1..end.min(chars.len())].iter().collect());
                        position = end;
                    }
                    _ => return Err(Error::new("S0401")),
                },
                _ => {}
            }
            position += 1;
        }
        for (p, q) in params.iter_mut().zip(&quantifiers) {
            let mut q = q.chars();
            match q.next() {
                Some('?') => p.min = 0,
                Some('+') => p.max = usize::MAX,
                _ => {}
            }
            if q.next() == Some('?') {
                p.lazy = true;
            }
        }
        Ok(Sig { params })
    }

    /// Matches `symbols` against the parameters from `param` on, as a regex with `^` (and `$`
    /// when `anchored`) would: the length each parameter took.
    fn matches(
        &self,
        symbols: &[char],
        param: usize,
        at: usize,
        upto: usize,
        anchored: bool,
        taken: &mut Vec<usize>,
    ) -> bool {
        if param == upto {
            return !anchored || at == symbols.len();
        }
        let p = &self.params[param];
        // How many symbols in a row from `at` the parameter accepts.
        let available = symbols[at..]
            .iter()
            .take_while(|c| p.class.contains(**c))
            .count()
            .min(p.max);
        if available < p.min {
            return false;
        }
        let mut counts: Vec<usize> = (p.min..=available).collect();
        if !p.lazy {
            counts.reverse();
        }
        for n in counts {
            taken.push(n);
            if self.matches(symbols, param + 1, at + n, upto, anchored, taken) {
                return true;
            }
            taken.pop();
        }
        false
    }

    /// Validates `args` (and fills in the context value for `-` parameters), returning the
    /// arguments the function receives.
    pub fn validate<'a>(
        &self,
        args: &[Option<Val<'a>>],
        context: Option<&Val<'a>>,
    ) -> Result<Vec<Option<Val<'a>>>> {
        let symbols: Vec<char> = args.iter().map(|a| symbol(a.as_ref())).collect();
        let mut taken = Vec::new();
        if !self.matches(&symbols, 0, 0, self.params.len(), true, &mut taken) {
            // Find the first parameter that fails, as jsonata-js does with ever longer
            // prefixes of the pattern.
            let mut good_to = 0;
            for index in 0..self.params.len() {
                let mut prefix = Vec::new();
                if !self.matches(&symbols, 0, 0, index + 1, false, &mut prefix) {
                    break;
                }
                good_to = prefix.iter().sum();
            }
            return Err(Error::new("T0410")
                .value(args.get(good_to).and_then(Option::as_ref))
                .index(good_to + 1));
        }
        let mut out = Vec::with_capacity(args.len());
        let mut arg_index = 0;
        let mut at = 0;
        for (p, &n) in self.params.iter().zip(&taken) {
            let matched = &symbols[at..at + n];
            at += n;
            if matched.is_empty() {
                if p.context {
                    let context_type = symbol(context);
                    if p.context_class.contains(context_type) {
                        out.push(context.cloned());
                    } else {
                        return Err(Error::new("T0411").value(context).index(arg_index + 1));
                    }
                } else {
                    out.push(args.get(arg_index).cloned().flatten());
                    arg_index += 1;
                }
                continue;
            }
            let matched_text: String = matched.iter().collect();
            for &single in matched {
                let mut arg = args.get(arg_index).cloned().flatten();
                if p.kind == "a" {
                    if single == 'm' {
                        arg = None;
                    } else {
                        let mut array_ok = true;
                        if let Some(subtype) = &p.subtype {
                            if single != 'a' && matched_text != *subtype {
                                array_ok = false;
                            } else if single == 'a' {
                                if let Some(Val::Arr(a)) = &arg {
                                    if let Some(first) = a.items.first() {
                                        let item_type = symbol(Some(first));
                                        if !subtype.starts_with(item_type) {
                                            array_ok = false;
                                        } else {
                                            array_ok = a
                                                .items
                                                .iter()
                                                .all(|v| symbol(Some(v)) == item_type);
                                        }
                                    }
                                }
                            }
                        }
                        if !array_ok {
                            let mut e =
                                Error::new("T0412").value(arg.as_ref()).index(arg_index + 1);
                            e.kind = p.subtype.as_deref().and_then(plural);
                            return Err(e);
                        }
                        if single != 'a' {
                            arg = arg.map(|v| Val::arr(Arr::plain(vec![v])));
                        }
                    }
                }
                out.push(arg);
                arg_index += 1;
            }
        }
        Ok(out)
    }
}

/// The type symbol of a value (`m` for undefined).
pub(crate) fn symbol(value: Option<&Val<'_>>) -> char {
    match value {
        None => 'm',
        Some(Val::Func(_)) => 'f',
        Some(Val::Str(_)) => 's',
        Some(Val::Num(_)) => 'n',
        Some(Val::Bool(_)) => 'b',
        Some(Val::Null) => 'l',
        Some(Val::Arr(_)) => 'a',
        Some(Val::Obj(_)) => 'o',
    }
}

fn plural(subtype: &str) -> Option<&'static str> {
    Some(match subtype {
        "a" => "arrays",
        "b" => "booleans",
        "f" => "functions",
        "n" => "numbers",
        "o" => "objects",
        "s" => "strings",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(x: f64) -> Option<Val<'static>> {
        Some(Val::Num(x))
    }

    fn s(x: &str) -> Option<Val<'static>> {
        Some(Val::str(x))
    }

    #[test]
    fn context_and_optional() {
        let sig = Sig::parse("<s-nn?:s>").unwrap();
        let out = sig.validate(&[n(1.0)], Some(&Val::str("ctx"))).unwrap();
        assert_eq!(out.len(), 3);
        assert!(matches!(&out[0], Some(Val::Str(v)) if &**v == "ctx"));
        let out = sig.validate(&[s("a"), n(1.0), n(2.0)], None).unwrap();
        assert_eq!(out.len(), 3);
        let e = sig.validate(&[s("a"), s("b")], None).unwrap_err();
        assert_eq!((e.code, e.index), ("T0410", Some(2)));
        let e = sig.validate(&[n(1.0)], Some(&Val::Num(2.0))).unwrap_err();
        assert_eq!(e.code, "T0411");
    }

    #[test]
    fn arrays_and_subtypes() {
        let sig = Sig::parse("<a<n>:n>").unwrap();
        let out = sig.validate(&[n(5.0)], None).unwrap();
        assert!(matches!(&out[0], Some(Val::Arr(a)) if a.items.len() == 1));
        let e = sig.validate(&[s("5")], None).unwrap_err();
        assert_eq!(e.code, "T0412");
        assert_eq!(
            e.render(),
            "Argument 1 of function undefined must be an array of \"numbers\""
        );
        let mixed = Some(Val::array(vec![Val::Num(1.0), Val::str("a")]));
        assert_eq!(sig.validate(&[mixed], None).unwrap_err().code, "T0412");
        let e = sig.validate(&[n(1.0), n(2.0)], None).unwrap_err();
        assert_eq!((e.code, e.index), ("T0410", Some(2)));
    }

    #[test]
    fn repeated() {
        let sig = Sig::parse("<a+>").unwrap();
        assert_eq!(sig.validate(&[n(1.0), n(2.0)], None).unwrap().len(), 2);
        let sig = Sig::parse("<af>").unwrap();
        let e = sig.validate(&[n(1.0), None], None).unwrap_err();
        assert_eq!((e.code, e.index), ("T0410", Some(2)));
    }
}
