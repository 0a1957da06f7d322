//! A small `$filter` language: comparisons `eq`, `ne`, `gt`, `ge`, `lt`, `le` between a
//! property (or a `/`-separated path) and a literal (`'text'` with `''` for a quote, numbers,
//! `true`, `false`, `null`), `startswith(property, 'text')`, `endswith`, `contains`, `and`,
//! `or`, `not` and parentheses. String comparisons ignore case, as Graph's directory does.

use serde_json::Value;

/// A parsed `$filter`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    Compare(String, Op, Value),
    Function(Function, String, String),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    StartsWith,
    EndsWith,
    Contains,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Number(f64),
    Open,
    Close,
    Comma,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string literal".into()),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(c) => {
                            s.push(*c);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Text(s));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '.')
                {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                out.push(Token::Number(
                    text.parse().map_err(|_| format!("bad number '{text}'"))?,
                ));
            }
            c if c.is_alphanumeric() || c == '@' || c == '_' => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_alphanumeric() || matches!(c, '@' | '_' | '.' | '/'))
                {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character '{other}'")),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), String> {
        match self.next() {
            Some(t) if t == *token => Ok(()),
            _ => Err(format!("expected {what}")),
        }
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.pos += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.pos += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.peek_word("not") {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                self.expect(&Token::Close, "')'")?;
                Ok(inner)
            }
            Some(Token::Word(w)) => {
                let function = match w.to_ascii_lowercase().as_str() {
                    "startswith" => Some(Function::StartsWith),
                    "endswith" => Some(Function::EndsWith),
                    "contains" => Some(Function::Contains),
                    _ => None,
                };
                if let Some(function) = function {
                    self.expect(&Token::Open, "'('")?;
                    let Some(Token::Word(property)) = self.next() else {
                        return Err("expected a property name".into());
                    };
                    self.expect(&Token::Comma, "','")?;
                    let Some(Token::Text(text)) = self.next() else {
                        return Err("expected a string literal".into());
                    };
                    self.expect(&Token::Close, "')'")?;
                    return Ok(Filter::Function(function, property, text));
                }
                let op = match self.next() {
                    Some(Token::Word(op)) => match op.to_ascii_lowercase().as_str() {
                        "eq" => Op::Eq,
                        "ne" => Op::Ne,
                        "gt" => Op::Gt,
                        "ge" => Op::Ge,
                        "lt" => Op::Lt,
                        "le" => Op::Le,
                        other => return Err(format!("unsupported operator '{other}'")),
                    },
                    _ => return Err(format!("expected an operator after '{w}'")),
                };
                let literal = match self.next() {
                    Some(Token::Text(s)) => Value::String(s),
                    Some(Token::Number(n)) => {
                        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
                    }
                    Some(Token::Word(b)) if b.eq_ignore_ascii_case("true") => Value::Bool(true),
                    Some(Token::Word(b)) if b.eq_ignore_ascii_case("false") => Value::Bool(false),
                    Some(Token::Word(b)) if b.eq_ignore_ascii_case("null") => Value::Null,
                    _ => return Err("expected a literal".into()),
                };
                Ok(Filter::Compare(w, op, literal))
            }
            _ => Err("expected a comparison".into()),
        }
    }
}

fn lookup<'v>(entity: &'v Value, path: &str) -> &'v Value {
    let mut current = entity;
    for part in path.split('/') {
        current = current.get(part).unwrap_or(&Value::Null);
    }
    current
}

fn compare(actual: &Value, op: Op, literal: &Value) -> bool {
    use std::cmp::Ordering;
    let ordering = match (actual, literal) {
        (Value::String(a), Value::String(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        _ => None,
    };
    match (op, ordering) {
        (Op::Eq, o) => o == Some(Ordering::Equal),
        (Op::Ne, o) => o != Some(Ordering::Equal),
        (Op::Gt, Some(o)) => o == Ordering::Greater,
        (Op::Ge, Some(o)) => o != Ordering::Less,
        (Op::Lt, Some(o)) => o == Ordering::Less,
        (Op::Le, Some(o)) => o != Ordering::Greater,
        (_, None) => false,
    }
}

impl Filter {
    /// Parses a `$filter` expression.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut parser = Parser {
            tokens: tokens(text)?,
            pos: 0,
        };
        let filter = parser.or()?;
        if parser.pos != parser.tokens.len() {
            return Err("unexpected text after the expression".into());
        }
        Ok(filter)
    }

    /// Whether an entity passes.
    pub(crate) fn matches(&self, entity: &Value) -> bool {
        match self {
            Filter::Compare(property, op, literal) => {
                compare(lookup(entity, property), *op, literal)
            }
            Filter::Function(function, property, text) => {
                let Some(actual) = lookup(entity, property).as_str() else {
                    return false;
                };
                let (a, t) = (actual.to_lowercase(), text.to_lowercase());
                match function {
                    Function::StartsWith => a.starts_with(&t),
                    Function::EndsWith => a.ends_with(&t),
                    Function::Contains => a.contains(&t),
                }
            }
            Filter::And(a, b) => a.matches(entity) && b.matches(entity),
            Filter::Or(a, b) => a.matches(entity) || b.matches(entity),
            Filter::Not(a) => !a.matches(entity),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_parse_and_match() {
        let adele =
            json!({"displayName": "Adele Vance", "accountEnabled": true, "age": 30, "city": null});
        for (text, expected) in [
            ("displayName eq 'adele vance'", true),
            ("displayName eq 'Alex'", false),
            ("displayName ne 'Alex'", true),
            ("startswith(displayName,'Ad')", true),
            ("accountEnabled eq true and age ge 30", true),
            ("accountEnabled eq false or age lt 18", false),
            ("not (city ne null)", true),
            ("displayName eq 'O''Neil'", false),
        ] {
            assert_eq!(
                Filter::parse(text).unwrap().matches(&adele),
                expected,
                "{text}"
            );
        }
        for bad in [
            "displayName",
            "displayName eq",
            "displayName like 'x'",
            "eq 'x'",
            "displayName eq 'x",
            "(a eq 1",
            "a eq 1 b",
        ] {
            assert!(Filter::parse(bad).is_err(), "{bad}");
        }
    }
}
