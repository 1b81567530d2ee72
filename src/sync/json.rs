//! The little JSON the remote server speaks: it reads its auth file and writes its error bodies.
//! The reader is strict (RFC 8259, no comments, no trailing commas, no duplicate keys) and says
//! where a text goes wrong by line and column, since people write these files by hand.

/// Arrays and objects nested in one another, at most. Deeper texts are refused, so a hostile or
/// broken file cannot exhaust the stack.
pub const JSON_DEPTH_MAX: usize = 32;

/// A JSON value. Numbers keep their text: the server reads none, it only needs to accept them.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in the order written, with no key twice.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// What kind of value this is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// Appends `text` as a JSON string, quoted and escaped, as SQL's JSON functions write it.
pub use crate::sql::functions::write_json_string as write_string;

/// Reads one JSON text. The error says what is wrong and at which line and column.
pub fn parse(text: &str) -> Result<Json, String> {
    let mut reader = Reader { text: text.as_bytes(), at: 0 };
    let mut read = || {
        reader.skip_space();
        let value = reader.value(0)?;
        reader.skip_space();
        match reader.peek() {
            None => Ok(value),
            Some(_) => Err("more text follows the value"),
        }
    };
    read().map_err(|problem| {
        let before = &text.as_bytes()[..reader.at.min(text.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        format!("{problem} at line {line}, column {column}")
    })
}

struct Reader<'a> {
    text: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Consumes `byte` or fails with `problem`.
    fn expect(&mut self, byte: u8, problem: &'static str) -> Result<(), &'static str> {
        if self.peek() != Some(byte) {
            return Err(problem);
        }
        self.at += 1;
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Json, &'static str> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.word("true", Json::Bool(true)),
            Some(b'f') => self.word("false", Json::Bool(false)),
            Some(b'n') => self.word("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err("a value was expected"),
            None => Err("the text ends where a value was expected"),
        }
    }

    fn word(&mut self, word: &str, value: Json) -> Result<Json, &'static str> {
        if !self.text[self.at..].starts_with(word.as_bytes()) {
            return Err("a value was expected");
        }
        self.at += word.len();
        Ok(value)
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Result<Json, &'static str> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err("a number needs a digit"),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err("a number needs a digit after its decimal point");
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err("a number needs a digit in its exponent");
            }
        }
        // Only ASCII digits and signs were consumed.
        Ok(Json::Number(String::from_utf8_lossy(&self.text[start..self.at]).into_owned()))
    }

    fn hex4(&mut self) -> Result<u32, &'static str> {
        let digits = self.text.get(self.at..self.at + 4).ok_or("a \\u escape needs four digits")?;
        let digits = std::str::from_utf8(digits).map_err(|_| "a \\u escape needs four digits")?;
        let value =
            u32::from_str_radix(digits, 16).map_err(|_| "a \\u escape needs four digits")?;
        self.at += 4;
        Ok(value)
    }

    fn string(&mut self) -> Result<String, &'static str> {
        self.at += 1;
        let mut out = Vec::new();
        loop {
            let Some(byte) = self.peek() else {
                return Err("a string is not closed");
            };
            self.at += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    let escape = self.peek().ok_or("a string is not closed")?;
                    self.at += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err("a string holds an unknown escape"),
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                0..0x20 => return Err("a string holds a control character; escape it"),
                byte => out.push(byte),
            }
        }
        // The input is a `&str` and escapes add whole characters, so the bytes are UTF-8.
        String::from_utf8(out).map_err(|_| "a string is not UTF-8")
    }

    /// The character of a `\u` escape (the `\u` read), joining a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, &'static str> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.text[self.at..].starts_with(b"\\u") {
                return Err("a \\u escape of a high surrogate needs its low surrogate");
            }
            self.at += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err("a \\u escape of a high surrogate needs its low surrogate");
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or("a \\u escape names no character")
    }

    fn array(&mut self, depth: usize) -> Result<Json, &'static str> {
        if depth > JSON_DEPTH_MAX {
            return Err("arrays and objects nest too deeply");
        }
        self.at += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_space();
            items.push(self.value(depth)?);
            self.skip_space();
            if self.peek() == Some(b']') {
                self.at += 1;
                return Ok(Json::Array(items));
            }
            self.expect(b',', "a ',' or ']' was expected after an array item")?;
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, &'static str> {
        if depth > JSON_DEPTH_MAX {
            return Err("arrays and objects nest too deeply");
        }
        self.at += 1;
        let mut members: Vec<(String, Json)> = Vec::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err("a member name in quotes was expected");
            }
            let key_at = self.at;
            let key = self.string()?;
            if members.iter().any(|(name, _)| *name == key) {
                self.at = key_at;
                return Err("an object names the same member twice");
            }
            self.skip_space();
            self.expect(b':', "a ':' was expected after a member name")?;
            self.skip_space();
            let value = self.value(depth)?;
            members.push((key, value));
            self.skip_space();
            if self.peek() == Some(b'}') {
                self.at += 1;
                return Ok(Json::Object(members));
            }
            self.expect(b',', "a ',' or '}' was expected after an object member")?;
        }
    }
}
