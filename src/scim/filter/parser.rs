//! Recursive descent over `or` > `and` > unary. Recursion happens only on `(`, `not (` and
//! `[`, each of which is charged against `Limits::max_depth` before descending, so the
//! stack is bounded whatever the input.

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use super::attr::{is_attr_name, parse_attr_path_at};
use super::error::{column_at, excerpt, FilterError};
use super::lexer::{tokenize, Token, TokenKind};
use super::number::parse_number;
use super::Limits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Top,
    /// Inside `attr[...]`: paths are sub-attribute names of `attr`.
    InBrackets,
}

/// A PATCH path split into its parts: `attr` or `attr[filter]` with an optional `.sub`.
pub(crate) struct PathParts {
    pub attr: AttrPath,
    pub value_filter: Option<(Filter, Option<String>)>,
}

pub(crate) struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token<'a>>,
    pos: usize,
    limits: Limits,
    depth: usize,
    nodes: usize,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str, limits: &Limits) -> Result<Self, FilterError> {
        // Checked before lexing so oversized input costs nothing.
        if src.len() > limits.max_len {
            return Err(FilterError::TooLong {
                len: src.len(),
                max: limits.max_len,
            });
        }
        let tokens = tokenize(src)?;
        if tokens.is_empty() {
            return Err(FilterError::Empty);
        }
        Ok(Self {
            src,
            tokens,
            pos: 0,
            limits: *limits,
            depth: 0,
            nodes: 0,
        })
    }

    pub(crate) fn filter(mut self) -> Result<Filter, FilterError> {
        let filter = self.or_expr(Scope::Top)?;
        self.expect_end("`and`, `or` or end of input")?;
        Ok(filter)
    }

    /// `PATH = attrPath / valuePath [subAttr]` (RFC 7644 §3.5.2).
    pub(crate) fn patch_path(mut self) -> Result<PathParts, FilterError> {
        let Some((word, start)) = self.peek_word() else {
            return Err(self.unexpected("an attribute path"));
        };
        let attr = parse_attr_path_at(self.src, start, word)?;
        self.pos += 1;
        let value_filter = if self.peek_is(&TokenKind::LBracket) {
            let filter = self.bracket_body(&attr, start)?;
            let sub = match self.peek_word() {
                Some((w, at)) => {
                    let name = w.strip_prefix('.').filter(|n| is_attr_name(n));
                    let Some(name) = name else {
                        return Err(FilterError::InvalidAttrPath {
                            column: column_at(self.src, at),
                            text: excerpt(w),
                            reason: "after `]` only `.` and a sub-attribute name may follow",
                        });
                    };
                    self.pos += 1;
                    Some(name.to_owned())
                }
                None => None,
            };
            Some((filter, sub))
        } else {
            None
        };
        self.expect_end(if value_filter.is_some() {
            "end of path"
        } else {
            "`[` or end of path"
        })?;
        Ok(PathParts { attr, value_filter })
    }

    fn or_expr(&mut self, scope: Scope) -> Result<Filter, FilterError> {
        self.chain(scope, "or", Self::and_expr, Filter::Or)
    }

    fn and_expr(&mut self, scope: Scope) -> Result<Filter, FilterError> {
        self.chain(scope, "and", Self::unary, Filter::And)
    }

    /// `operand (keyword operand)*`, grouped to the left; every `keyword` is a node of the
    /// budget.
    fn chain(
        &mut self,
        scope: Scope,
        keyword: &str,
        operand: fn(&mut Self, Scope) -> Result<Filter, FilterError>,
        join: fn(Box<Filter>, Box<Filter>) -> Filter,
    ) -> Result<Filter, FilterError> {
        let mut left = operand(self, scope)?;
        while let Some(at) = self.eat_keyword(keyword) {
            let right = operand(self, scope)?;
            self.count_node(at)?;
            left = join(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, scope: Scope) -> Result<Filter, FilterError> {
        let Some(token) = self.tokens.get(self.pos) else {
            return Err(self.unexpected("an attribute path, `not` or `(`"));
        };
        let start = token.start;
        match token.kind {
            TokenKind::LParen => {
                self.pos += 1;
                self.group(scope, start)
            }
            // `not` is only an operator before `(`; elsewhere it is an attribute name.
            TokenKind::Word(w)
                if w.eq_ignore_ascii_case("not")
                    && self
                        .tokens
                        .get(self.pos + 1)
                        .is_some_and(|t| t.kind == TokenKind::LParen) =>
            {
                self.pos += 2;
                let inner = self.group(scope, start)?;
                self.count_node(start)?;
                Ok(Filter::Not(Box::new(inner)))
            }
            TokenKind::Word(w) => self.attr_expr(w, start, scope),
            _ => Err(self.unexpected("an attribute path, `not` or `(`")),
        }
    }

    /// Body of `( ... )`, with the `(` already consumed.
    fn group(&mut self, scope: Scope, open: usize) -> Result<Filter, FilterError> {
        self.enter(open)?;
        let inner = self.or_expr(scope)?;
        if !self.eat(&TokenKind::RParen) {
            return Err(self.unexpected("`and`, `or` or `)`"));
        }
        self.depth -= 1;
        Ok(inner)
    }

    fn attr_expr(
        &mut self,
        word: &'a str,
        start: usize,
        scope: Scope,
    ) -> Result<Filter, FilterError> {
        let path = parse_attr_path_at(self.src, start, word)?;
        self.pos += 1;
        if scope == Scope::InBrackets && (path.urn.is_some() || path.sub.is_some()) {
            return Err(FilterError::NotRelative {
                column: column_at(self.src, start),
                attr: excerpt(word),
            });
        }
        if self.peek_is(&TokenKind::LBracket) {
            if scope == Scope::InBrackets {
                return Err(FilterError::NestedValuePath {
                    column: column_at(self.src, start),
                    attr: excerpt(word),
                });
            }
            let mut filter = self.bracket_body(&path, start)?;
            // `emails[type eq "work"].value eq "x"` is PATCH path syntax, but Entra ID sends
            // it as a filter and Microsoft documents it; it can only mean
            // `emails[type eq "work" and value eq "x"]`, so it is read that way.
            if let Some((w, at)) = self.peek_word().filter(|(w, _)| w.starts_with('.')) {
                let sub_name = w.trim_start_matches('.');
                if !is_attr_name(sub_name) {
                    return Err(FilterError::InvalidAttrPath {
                        column: column_at(self.src, at),
                        text: excerpt(w),
                        reason: "after `]` only `.` and a sub-attribute name may follow",
                    });
                }
                self.pos += 1;
                let sub_path = AttrPath::new(None, sub_name, None);
                let condition = self.condition(sub_path, sub_name, at)?;
                filter = Filter::And(Box::new(filter), Box::new(condition));
            }
            self.count_node(start)?;
            return Ok(Filter::ValuePath {
                path,
                filter: Box::new(filter),
            });
        }
        self.condition(path, word, start)
    }

    /// `op value` or `pr` after an attribute path (the cursor on the operator).
    fn condition(
        &mut self,
        path: AttrPath,
        word: &str,
        start: usize,
    ) -> Result<Filter, FilterError> {
        let Some((op_word, op_at)) = self.peek_word() else {
            return Err(self.unexpected("an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"));
        };
        if word.eq_ignore_ascii_case("not")
            && !op_word.eq_ignore_ascii_case("pr")
            && CompareOp::from_keyword(op_word).is_none()
        {
            // Far likelier a forgotten parenthesis than an attribute called `not`.
            return Err(self.unexpected("`(` after `not`"));
        }
        self.pos += 1;
        let filter = if op_word.eq_ignore_ascii_case("pr") {
            Filter::Present(path)
        } else {
            let op =
                CompareOp::from_keyword(op_word).ok_or_else(|| FilterError::UnknownOperator {
                    column: column_at(self.src, op_at),
                    found: excerpt(op_word),
                })?;
            let value = self.comp_value()?;
            Filter::Compare { path, op, value }
        };
        self.count_node(start)?;
        Ok(filter)
    }

    /// `[ valFilter ]`, with the cursor on `[`.
    fn bracket_body(&mut self, attr: &AttrPath, attr_at: usize) -> Result<Filter, FilterError> {
        if attr.sub.is_some() {
            return Err(FilterError::ValuePathOnSubAttr {
                column: column_at(self.src, attr_at),
                attr: excerpt(&attr.to_string()),
            });
        }
        let open = self.tokens.get(self.pos).map_or(attr_at, |t| t.start);
        self.pos += 1;
        self.enter(open)?;
        let inner = self.or_expr(Scope::InBrackets)?;
        if !self.eat(&TokenKind::RBracket) {
            return Err(self.unexpected("`and`, `or` or `]`"));
        }
        self.depth -= 1;
        Ok(inner)
    }

    fn comp_value(&mut self) -> Result<CompValue, FilterError> {
        const EXPECTED: &str = "a value: a \"double-quoted\" string, a number, true, false or null";
        let Some(token) = self.tokens.get_mut(self.pos) else {
            return Err(self.unexpected(EXPECTED));
        };
        let start = token.start;
        let value = match &mut token.kind {
            TokenKind::Str(s) => CompValue::String(std::mem::take(s)),
            TokenKind::Word(w) if w.eq_ignore_ascii_case("true") => CompValue::Bool(true),
            TokenKind::Word(w) if w.eq_ignore_ascii_case("false") => CompValue::Bool(false),
            TokenKind::Word(w) if w.eq_ignore_ascii_case("null") => CompValue::Null,
            TokenKind::Word(w) if w.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
                let text: &str = w;
                CompValue::Number(
                    parse_number(text).ok_or_else(|| FilterError::InvalidNumber {
                        column: column_at(self.src, start),
                        text: excerpt(text),
                    })?,
                )
            }
            _ => return Err(self.unexpected(EXPECTED)),
        };
        self.pos += 1;
        Ok(value)
    }

    fn enter(&mut self, at: usize) -> Result<(), FilterError> {
        self.depth += 1;
        self.within(self.depth, self.limits.max_depth, at, |column, max| {
            FilterError::TooDeep { column, max }
        })
    }

    fn count_node(&mut self, at: usize) -> Result<(), FilterError> {
        self.nodes += 1;
        self.within(self.nodes, self.limits.max_nodes, at, |column, max| {
            FilterError::TooManyElements { column, max }
        })
    }

    /// `over(column, max)` for the token at byte `at` once `count` passes `max`.
    fn within(
        &self,
        count: usize,
        max: usize,
        at: usize,
        over: fn(usize, usize) -> FilterError,
    ) -> Result<(), FilterError> {
        if count > max {
            return Err(over(column_at(self.src, at), max));
        }
        Ok(())
    }

    fn peek_is(&self, kind: &TokenKind<'_>) -> bool {
        self.tokens.get(self.pos).is_some_and(|t| t.kind == *kind)
    }

    fn peek_word(&self) -> Option<(&'a str, usize)> {
        match self.tokens.get(self.pos) {
            Some(Token {
                kind: TokenKind::Word(w),
                start,
            }) => Some((w, *start)),
            _ => None,
        }
    }

    fn eat(&mut self, kind: &TokenKind<'_>) -> bool {
        let hit = self.peek_is(kind);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// Consumes a case-insensitive keyword, returning where it was.
    fn eat_keyword(&mut self, keyword: &str) -> Option<usize> {
        let (word, at) = self.peek_word()?;
        if !word.eq_ignore_ascii_case(keyword) {
            return None;
        }
        self.pos += 1;
        Some(at)
    }

    fn expect_end(&self, expected: &'static str) -> Result<(), FilterError> {
        if self.pos < self.tokens.len() {
            return Err(self.unexpected(expected));
        }
        Ok(())
    }

    fn unexpected(&self, expected: &'static str) -> FilterError {
        let (at, found) = match self.tokens.get(self.pos) {
            None => (self.src.len(), "end of input".to_owned()),
            Some(token) => (
                token.start,
                match &token.kind {
                    TokenKind::LParen => "`(`".to_owned(),
                    TokenKind::RParen => "`)`".to_owned(),
                    TokenKind::LBracket => "`[`".to_owned(),
                    TokenKind::RBracket => "`]`".to_owned(),
                    TokenKind::Word(w) => format!("`{}`", excerpt(w)),
                    TokenKind::Str(s) => format!("the string \"{}\"", excerpt(s)),
                },
            ),
        };
        FilterError::Unexpected {
            column: column_at(self.src, at),
            expected,
            found,
        }
    }
}
