//! Splits input (a file, `-c` text, stdin or REPL lines) into SQL statements
//! and backslash commands.
//!
//! A `;` ends a statement unless it is inside a quoted string, a quoted
//! identifier or a comment. A line starting with `\` between statements is a
//! command.

/// One unit of input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A SQL statement, without its terminating `;`.
    Sql(String),
    /// A backslash command line, e.g. `\d process_events`.
    Command(String),
}

/// Lexer state carried across characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    SingleQuote,
    DoubleQuote,
    LineComment,
    BlockComment,
}

/// Splits `text` into items. The trailing text after the last `;`, if it
/// holds anything but white space and comments, is returned as `rest`.
pub fn split(text: &str) -> (Vec<Item>, Option<String>) {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut state = State::Code;
    for line in text.split_inclusive('\n') {
        if state == State::Code && is_blank(&current) && line.trim_start().starts_with('\\') {
            items.push(Item::Command(line.trim().to_string()));
            current.clear();
            continue;
        }
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match state {
                State::Code => match c {
                    '\'' => state = State::SingleQuote,
                    '"' => state = State::DoubleQuote,
                    '-' if chars.peek() == Some(&'-') => state = State::LineComment,
                    '/' if chars.peek() == Some(&'*') => {
                        current.push(c);
                        current.push(chars.next().expect("peeked"));
                        state = State::BlockComment;
                        continue;
                    }
                    ';' => {
                        if !is_blank(&current) {
                            items.push(Item::Sql(current.trim().to_string()));
                        }
                        current.clear();
                        continue;
                    }
                    _ => {}
                },
                State::SingleQuote if c == '\'' => state = State::Code,
                State::DoubleQuote if c == '"' => state = State::Code,
                State::LineComment if c == '\n' => state = State::Code,
                State::BlockComment if c == '*' && chars.peek() == Some(&'/') => {
                    current.push(c);
                    current.push(chars.next().expect("peeked"));
                    state = State::Code;
                    continue;
                }
                _ => {}
            }
            current.push(c);
        }
    }
    let rest = (!is_blank(&current)).then(|| current.trim().to_string());
    (items, rest)
}

/// True when `text` is only white space and comments.
pub fn is_blank(text: &str) -> bool {
    let mut rest = text.trim_start();
    loop {
        if rest.is_empty() {
            return true;
        }
        if let Some(after) = rest.strip_prefix("--") {
            match after.find('\n') {
                Some(i) => rest = after[i..].trim_start(),
                None => return true,
            }
        } else if let Some(after) = rest.strip_prefix("/*") {
            match after.find("*/") {
                Some(i) => rest = after[i + 2..].trim_start(),
                None => return true,
            }
        } else {
            return false;
        }
    }
}

/// True when REPL input is ready to run: a command, or SQL whose last
/// statement is closed by `;`.
pub fn is_complete(text: &str) -> bool {
    if is_blank(text) {
        return true;
    }
    let (_, rest) = split(text);
    rest.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(s: &str) -> Item {
        Item::Sql(s.to_string())
    }

    #[test]
    fn semicolons_in_strings_identifiers_and_comments_do_not_split() {
        let (items, rest) = split("SELECT 'a;b', \"c;d\" -- e;f\nFROM t; /* g; */ SELECT 2;");
        assert_eq!(
            items,
            vec![
                sql("SELECT 'a;b', \"c;d\" -- e;f\nFROM t"),
                sql("/* g; */ SELECT 2")
            ]
        );
        assert_eq!(rest, None);
    }

    #[test]
    fn commands_stand_between_statements() {
        let (items, rest) = split("\\timing on\nSELECT 1;\n\\d t\nSELECT\n2");
        assert_eq!(
            items,
            vec![
                Item::Command("\\timing on".into()),
                sql("SELECT 1"),
                Item::Command("\\d t".into())
            ]
        );
        assert_eq!(rest.as_deref(), Some("SELECT\n2"));
    }

    #[test]
    fn completeness_for_the_repl() {
        assert!(is_complete("SELECT 1;"));
        assert!(is_complete("  -- just a comment"));
        assert!(is_complete("\\d"));
        assert!(!is_complete("SELECT 1"));
        assert!(!is_complete("SELECT ';"));
        assert!(!is_complete("SELECT 1 /* ; */"));
    }
}
