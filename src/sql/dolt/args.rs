//! Procedure arguments in Dolt's command-line style: `'-am', 'message'`, `'--author', 'A <a@b>'`,
//! `'--message=text'`, positional arguments, and `--` before arguments that only look like flags.

use std::collections::BTreeMap;

use super::super::error::{Error, ErrorKind};

/// Arguments one call may pass.
const ARGS_MAX: usize = 1024;

/// One flag a procedure accepts: its long name (how callers read it), an optional one-letter
/// form, and whether a value follows it.
pub(super) struct Flag {
    pub long: &'static str,
    pub short: Option<char>,
    pub takes_value: bool,
}

/// A flag without a value.
pub(super) const fn switch(long: &'static str, short: Option<char>) -> Flag {
    Flag { long, short, takes_value: false }
}

/// A flag followed by a value.
pub(super) const fn option(long: &'static str, short: Option<char>) -> Flag {
    Flag { long, short, takes_value: true }
}

/// Parsed arguments.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    /// Long flag name → its value (`None` for a switch).
    flags: BTreeMap<&'static str, Option<String>>,
    pub positional: Vec<String>,
}

impl Parsed {
    pub fn has(&self, long: &str) -> bool {
        self.flags.contains_key(long)
    }

    pub fn value(&self, long: &str) -> Option<&str> {
        self.flags.get(long).and_then(|v| v.as_deref())
    }
}

fn bad(procedure: &str, message: String) -> Error {
    Error::new(ErrorKind::BadArgument, format!("{procedure}: {message}"))
}

/// Reads `args` against the flags `procedure` accepts.
pub(super) fn parse(procedure: &str, flags: &[Flag], args: &[String]) -> Result<Parsed, Error> {
    if args.len() > ARGS_MAX {
        return Err(bad(procedure, format!("more than {ARGS_MAX} arguments")));
    }
    let mut parsed = Parsed::default();
    let mut rest = args.iter();
    let mut only_positional = false;
    while let Some(arg) = rest.next() {
        if only_positional || arg == "-" || !arg.starts_with('-') {
            parsed.positional.push(arg.clone());
            continue;
        }
        if arg == "--" {
            only_positional = true;
            continue;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (long, None),
            };
            let flag = flags
                .iter()
                .find(|f| f.long == name)
                .ok_or_else(|| bad(procedure, format!("unknown option '--{name}'")))?;
            let value =
                match (flag.takes_value, inline) {
                    (true, Some(value)) => Some(value),
                    (true, None) => Some(rest.next().cloned().ok_or_else(|| {
                        bad(procedure, format!("option '--{name}' needs a value"))
                    })?),
                    (false, None) => None,
                    (false, Some(_)) => {
                        return Err(bad(procedure, format!("option '--{name}' takes no value")))
                    }
                };
            parsed.flags.insert(flag.long, value);
            continue;
        }
        // A group of one-letter flags, `-am`; a flag that takes a value takes the rest of the
        // group or else the next argument.
        let letters = &arg[1..];
        for (at, letter) in letters.char_indices() {
            let flag = flags
                .iter()
                .find(|f| f.short == Some(letter))
                .ok_or_else(|| bad(procedure, format!("unknown option '-{letter}'")))?;
            if !flag.takes_value {
                parsed.flags.insert(flag.long, None);
                continue;
            }
            let attached = &letters[at + letter.len_utf8()..];
            let value = if attached.is_empty() {
                rest.next()
                    .cloned()
                    .ok_or_else(|| bad(procedure, format!("option '-{letter}' needs a value")))?
            } else {
                attached.to_string()
            };
            parsed.flags.insert(flag.long, Some(value));
            break;
        }
    }
    Ok(parsed)
}
