//! A strict JSON (RFC 8259) parser that remembers where each value, and
//! each object key, starts, so that semantic errors can point at the exact
//! line and column.
//!
//! Lines and columns are 1-based; columns count characters, not bytes.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    /// A number, kept as written.
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(Vec<Member>),
}

impl Kind {
    /// How the kind is named in error messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Number(_) => "a number",
            Kind::String(_) => "a string",
            Kind::Array(_) => "an array",
            Kind::Object(_) => "an object",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub pos: Pos,
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub key: String,
    pub key_pos: Pos,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    pub pos: Pos,
    pub msg: String,
}

/// Deepest nesting accepted (as serde_json does by default).
const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    col: usize,
}

/// Parse `text` as one JSON value surrounded by optional whitespace.
pub fn parse(text: &str) -> Result<Value, JsonError> {
    let mut p = Parser {
        chars: text.chars().peekable(),
        line: 1,
        col: 1,
    };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    if p.peek().is_some() {
        return Err(p.error("trailing characters after the JSON value"));
    }
    Ok(v)
}

fn describe_char(c: char) -> String {
    if c.is_control() {
        format!("character U+{:04X}", c as u32)
    } else {
        format!("'{c}'")
    }
}

impl Parser<'_> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn error(&self, msg: impl Into<String>) -> JsonError {
        JsonError {
            pos: self.pos(),
            msg: msg.into(),
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.bump();
        }
    }

    fn expect(&mut self, want: char, context: &str) -> Result<(), JsonError> {
        match self.peek() {
            Some(c) if c == want => {
                self.bump();
                Ok(())
            }
            Some(c) => Err(self.error(format!(
                "expected '{want}' {context}, found {}",
                describe_char(c)
            ))),
            None => Err(self.error(format!(
                "unexpected end of file, expected '{want}' {context}"
            ))),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting is too deep"));
        }
        let pos = self.pos();
        let kind = match self.peek() {
            None => return Err(self.error("unexpected end of file, expected a value")),
            Some('{') => self.object(depth)?,
            Some('[') => self.array(depth)?,
            Some('"') => Kind::String(self.string()?),
            Some('-' | '0'..='9') => Kind::Number(self.number()?),
            Some('t') => self.literal("true", Kind::Bool(true))?,
            Some('f') => self.literal("false", Kind::Bool(false))?,
            Some('n') => self.literal("null", Kind::Null)?,
            Some(c) => {
                return Err(self.error(format!("expected a value, found {}", describe_char(c))))
            }
        };
        Ok(Value { pos, kind })
    }

    fn literal(&mut self, word: &str, kind: Kind) -> Result<Kind, JsonError> {
        for want in word.chars() {
            if self.peek() != Some(want) {
                return Err(self.error(format!("invalid literal, expected '{word}'")));
            }
            self.bump();
        }
        Ok(kind)
    }

    fn object(&mut self, depth: usize) -> Result<Kind, JsonError> {
        self.bump(); // '{'
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some('}') {
            self.bump();
            return Ok(Kind::Object(members));
        }
        loop {
            self.skip_ws();
            let key_pos = self.pos();
            match self.peek() {
                Some('"') => {}
                Some(c) => {
                    return Err(
                        self.error(format!("expected a string key, found {}", describe_char(c)))
                    )
                }
                None => return Err(self.error("unexpected end of file inside an object")),
            }
            let key = self.string()?;
            self.skip_ws();
            self.expect(':', "after an object key")?;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            members.push(Member {
                key,
                key_pos,
                value,
            });
            self.skip_ws();
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some('}') => {
                    self.bump();
                    return Ok(Kind::Object(members));
                }
                Some(c) => {
                    return Err(self.error(format!(
                        "expected ',' or '}}' in an object, found {}",
                        describe_char(c)
                    )))
                }
                None => return Err(self.error("unexpected end of file inside an object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Kind, JsonError> {
        self.bump(); // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(']') {
            self.bump();
            return Ok(Kind::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some(']') => {
                    self.bump();
                    return Ok(Kind::Array(items));
                }
                Some(c) => {
                    return Err(self.error(format!(
                        "expected ',' or ']' in an array, found {}",
                        describe_char(c)
                    )))
                }
                None => return Err(self.error("unexpected end of file inside an array")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = self.peek().and_then(|c| c.to_digit(16));
            match d {
                Some(d) => {
                    self.bump();
                    v = v * 16 + d;
                }
                None => return Err(self.error("invalid \\u escape: expected 4 hex digits")),
            }
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.bump(); // '"'
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unexpected end of file inside a string")),
                Some('"') => {
                    self.bump();
                    return Ok(out);
                }
                Some('\\') => {
                    self.bump();
                    let c = match self.peek() {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('/') => '/',
                        Some('b') => '\u{8}',
                        Some('f') => '\u{c}',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some('u') => {
                            self.bump();
                            let c = self.unicode_escape()?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.error("invalid escape sequence in a string")),
                    };
                    self.bump();
                    out.push(c);
                }
                Some(c) if (c as u32) < 0x20 => {
                    return Err(self.error(format!(
                        "{} must be escaped inside a string",
                        describe_char(c)
                    )))
                }
                Some(c) => {
                    self.bump();
                    out.push(c);
                }
            }
        }
    }

    /// After "\u": one escape, or a surrogate pair of two.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let hi = self.hex4()?;
        let code = if (0xd800..0xdc00).contains(&hi) {
            if self.peek() != Some('\\') {
                return Err(self.error("unpaired surrogate in \\u escape"));
            }
            self.bump();
            if self.peek() != Some('u') {
                return Err(self.error("unpaired surrogate in \\u escape"));
            }
            self.bump();
            let lo = self.hex4()?;
            if !(0xdc00..0xe000).contains(&lo) {
                return Err(self.error("unpaired surrogate in \\u escape"));
            }
            0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.error("unpaired surrogate in \\u escape"))
    }

    fn digits(&mut self, out: &mut String) -> usize {
        let mut n = 0;
        while let Some(c @ '0'..='9') = self.peek() {
            self.bump();
            out.push(c);
            n += 1;
        }
        n
    }

    fn number(&mut self) -> Result<String, JsonError> {
        let mut out = String::new();
        if self.peek() == Some('-') {
            self.bump();
            out.push('-');
        }
        match self.peek() {
            Some('0') => {
                self.bump();
                out.push('0');
            }
            Some('1'..='9') => {
                self.digits(&mut out);
            }
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some('.') {
            self.bump();
            out.push('.');
            if self.digits(&mut out) == 0 {
                return Err(self.error("invalid number: expected digits after '.'"));
            }
        }
        if let Some(e @ ('e' | 'E')) = self.peek() {
            self.bump();
            out.push(e);
            if let Some(s @ ('+' | '-')) = self.peek() {
                self.bump();
                out.push(s);
            }
            if self.digits(&mut out) == 0 {
                return Err(self.error("invalid number: expected digits in the exponent"));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: usize, col: usize) -> Pos {
        Pos { line, col }
    }

    #[test]
    fn records_positions() {
        let v = parse("{\n  \"a\": [1, \"x\"],\n  \"b\": null\n}").expect("valid");
        assert_eq!(v.pos, p(1, 1));
        let Kind::Object(m) = v.kind else {
            panic!("object")
        };
        assert_eq!(m[0].key, "a");
        assert_eq!(m[0].key_pos, p(2, 3));
        assert_eq!(m[0].value.pos, p(2, 8));
        let Kind::Array(items) = &m[0].value.kind else {
            panic!("array")
        };
        assert_eq!(items[1].pos, p(2, 12));
        assert_eq!(items[1].kind, Kind::String("x".into()));
        assert_eq!(m[1].value.pos, p(3, 8));
    }

    #[test]
    fn decodes_strings_and_numbers() {
        let v =
            parse(r#"["a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", -0.5e+3, 0, true]"#).expect("valid");
        let Kind::Array(items) = v.kind else {
            panic!("array")
        };
        assert_eq!(
            items[0].kind,
            Kind::String("a\"\\/\u{8}\u{c}\n\r\té😀".into())
        );
        assert_eq!(items[1].kind, Kind::Number("-0.5e+3".into()));
        assert_eq!(items[2].kind, Kind::Number("0".into()));
        assert_eq!(items[3].kind, Kind::Bool(true));
    }

    #[test]
    fn rejects_bad_json_with_positions() {
        let cases = [
            ("", p(1, 1)),
            ("{", p(1, 2)),
            ("{\"a\" 1}", p(1, 6)),
            ("[1,]", p(1, 4)),
            ("[01]", p(1, 3)),
            ("\"a\nb\"", p(1, 3)),
            ("{} x", p(1, 4)),
            ("\"\\ud800\"", p(1, 8)),
            ("tru", p(1, 4)),
            ("[1.]", p(1, 4)),
            ("{1: 2}", p(1, 2)),
        ];
        for (text, pos) in cases {
            let e = parse(text).expect_err(text);
            assert_eq!(e.pos, pos, "{text:?}: {}", e.msg);
        }
    }

    #[test]
    fn depth_is_limited() {
        let deep = "[".repeat(200);
        assert!(parse(&deep).expect_err("deep").msg.contains("deep"));
    }
}
