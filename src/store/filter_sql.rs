//! Compiling a parsed SCIM filter into a SQL condition with bound parameters.
//!
//! Where each attribute lives (a column, a key inside a JSON document, a side table) is
//! decided by the resource's storage module through a `Locator`; this module only knows how
//! to compare each kind of location on each backend. Every value is bound. Every atomic
//! condition is written to be TRUE or FALSE, never NULL, so `not (title eq "x")` matches
//! users without a title, as SCIM expects and SQL's three-valued logic would not.

use crate::domain::fold_case;
use crate::scim::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::scim::schema::def::{AttrType, AttributeDef, ResourceTypeDef};
use crate::scim::schema::resolve::{resolve, ResolvedAttr};

use super::Backend;

pub use super::filter_element::{Column, Element};
use super::sql_params::escape_like;
pub use super::sql_params::SqlParams;

/// A JSON document in a row: a JSON column (text on SQLite, jsonb on PostgreSQL), or an
/// element of a JSON array being scanned.
#[derive(Clone, Debug)]
pub struct JsonDoc {
    pub expr: String,
}

/// Where an attribute's value is stored, as far as filtering and sorting need to know.
#[derive(Clone, Debug)]
pub enum Loc {
    /// A text column. `folded`: it holds text folded by [`fold_case`] (a shadow column), so
    /// compare folded values to it.
    Text { expr: String, folded: bool },
    /// A value at `keys` inside a JSON document.
    Json { doc: JsonDoc, keys: Vec<String> },
    /// A SQL boolean condition that is true exactly when the attribute is true.
    Flag { when_true: String },
    /// A flag column (0/1 on SQLite, boolean on PostgreSQL).
    BoolColumn { expr: String },
    /// A dateTime column (integer microseconds on SQLite, timestamptz on PostgreSQL).
    Time { expr: String },
    /// A UUID column (text on SQLite, uuid on PostgreSQL), compared as its lower-case
    /// hyphenated text.
    Uuid { expr: String },
    /// A multi-valued attribute: a row source for its elements (`FROM ... WHERE ...` that
    /// correlates with the outer row) and how to find each sub-attribute in an element.
    Multi(Multi),
}

#[derive(Clone, Debug)]
pub struct Multi {
    /// `FROM <source> WHERE <correlation>`; may contain placeholders already pushed.
    pub from_where: String,
    pub element: Element,
}

/// Finds where a resolved attribute is stored; `None` means it cannot be filtered on.
pub type Locator<'a> = &'a dyn Fn(&ResolvedAttr, Backend, &mut SqlParams) -> Option<Loc>;

pub struct FilterCompiler<'a> {
    pub backend: Backend,
    pub rt: &'static ResourceTypeDef,
    pub locate: Locator<'a>,
    pub params: &'a mut SqlParams,
}

fn invalid(detail: impl Into<String>) -> QueryError {
    QueryError::Filter(detail.into())
}

/// A list request the store cannot turn into SQL, and why. The SCIM layer above words it as
/// a SCIM error (`invalidFilter`, or `invalidValue` for a sort).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    Filter(String),
    #[error("{0}")]
    Sort(String),
}

impl<'a> FilterCompiler<'a> {
    pub fn new(
        backend: Backend,
        rt: &'static ResourceTypeDef,
        locate: Locator<'a>,
        params: &'a mut SqlParams,
    ) -> Self {
        Self {
            backend,
            rt,
            locate,
            params,
        }
    }

    /// `condition`, narrowed by the request's filter when there is one.
    pub fn and_filter(
        &mut self,
        condition: String,
        filter: Option<&Filter>,
    ) -> Result<String, QueryError> {
        Ok(match filter {
            Some(filter) => format!("{condition} AND {}", self.compile(filter)?),
            None => condition,
        })
    }

    pub fn compile(&mut self, filter: &Filter) -> Result<String, QueryError> {
        Ok(match filter {
            Filter::And(a, b) => format!("({} AND {})", self.compile(a)?, self.compile(b)?),
            Filter::Or(a, b) => format!("({} OR {})", self.compile(a)?, self.compile(b)?),
            Filter::Not(inner) => format!("(NOT {})", self.compile(inner)?),
            Filter::Present(path) => {
                let (attr, loc) = self.locate_path(path)?;
                self.on_location(&loc, attr, None)?
            }
            Filter::Compare { path, op, value } => {
                let (attr, loc) = self.locate_path(path)?;
                self.on_location(&loc, attr, Some((*op, value)))?
            }
            Filter::ValuePath { path, filter } => {
                let resolved = self.resolve(path)?;
                if !resolved.attr.multi_valued || resolved.attr.ty != AttrType::Complex {
                    return Err(invalid(format!(
                        "`{path}[...]` needs a multi-valued complex attribute"
                    )));
                }
                let Some(Loc::Multi(multi)) = (self.locate)(&resolved, self.backend, self.params)
                else {
                    return Err(invalid(format!("filtering on `{path}` is not supported")));
                };
                let inner = self.compile_element(&multi, resolved.attr, filter)?;
                format!("EXISTS (SELECT 1 {} AND {inner})", multi.from_where)
            }
        })
    }

    fn resolve(&self, path: &AttrPath) -> Result<ResolvedAttr, QueryError> {
        resolve(self.rt, path)
            .ok_or_else(|| invalid(format!("`{path}` is not an attribute of {}", self.rt.name)))
    }

    /// The attribute a comparison applies to and where it is. A sub-attribute of a
    /// multi-valued attribute (`emails.value`) is located within its elements.
    fn locate_path(&mut self, path: &AttrPath) -> Result<(&'static AttributeDef, Loc), QueryError> {
        let resolved = self.resolve(path)?;
        let loc = (self.locate)(&resolved, self.backend, self.params)
            .ok_or_else(|| invalid(format!("filtering on `{path}` is not supported")))?;
        Ok((resolved.target(), loc))
    }

    fn compile_element(
        &mut self,
        multi: &Multi,
        parent: &'static AttributeDef,
        filter: &Filter,
    ) -> Result<String, QueryError> {
        Ok(match filter {
            Filter::And(a, b) => format!(
                "({} AND {})",
                self.compile_element(multi, parent, a)?,
                self.compile_element(multi, parent, b)?
            ),
            Filter::Or(a, b) => format!(
                "({} OR {})",
                self.compile_element(multi, parent, a)?,
                self.compile_element(multi, parent, b)?
            ),
            Filter::Not(inner) => format!("(NOT {})", self.compile_element(multi, parent, inner)?),
            Filter::Present(path) | Filter::Compare { path, .. } => {
                let sub = parent
                    .sub(&path.name)
                    .filter(|_| path.urn.is_none() && path.sub.is_none());
                let sub = sub.ok_or_else(|| {
                    invalid(format!(
                        "`{}` is not a sub-attribute of `{}`",
                        path, parent.name
                    ))
                })?;
                let loc = multi
                    .element
                    .locate(sub, self.backend, self.params)
                    .ok_or_else(|| {
                        invalid(format!(
                            "filtering on `{}.{}` is not supported",
                            parent.name, sub.name
                        ))
                    })?;
                let test = match filter {
                    Filter::Compare { op, value, .. } => Some((*op, value)),
                    _ => None,
                };
                self.on_location(&loc, sub, test)?
            }
            Filter::ValuePath { .. } => return Err(invalid("value filters cannot be nested")),
        })
    }

    /// A presence test (`test` is `None`) or a comparison on one location.
    fn on_location(
        &mut self,
        loc: &Loc,
        attr: &'static AttributeDef,
        test: Option<(CompareOp, &CompValue)>,
    ) -> Result<String, QueryError> {
        match loc {
            Loc::Multi(multi) => {
                // `emails pr`, `emails eq "x"` (meaning emails.value), `emails.value co "x"`.
                let (element_attr, element_loc) = match attr.sub_attributes.is_empty() {
                    false => match attr.sub("value") {
                        Some(value) => (
                            value,
                            multi.element.locate(value, self.backend, self.params),
                        ),
                        None if test.is_none() => {
                            return Ok(format!("EXISTS (SELECT 1 {})", multi.from_where))
                        }
                        None => {
                            return Err(invalid(format!("`{}` has no value to compare", attr.name)))
                        }
                    },
                    true => (attr, multi.element.locate(attr, self.backend, self.params)),
                };
                let element_loc = element_loc.ok_or_else(|| {
                    invalid(format!("filtering on `{}` is not supported", attr.name))
                })?;
                if test.is_none() && attr.ty == AttrType::Complex {
                    return Ok(format!("EXISTS (SELECT 1 {})", multi.from_where));
                }
                let inner = self.on_location(&element_loc, element_attr, test)?;
                Ok(format!(
                    "EXISTS (SELECT 1 {} AND {inner})",
                    multi.from_where
                ))
            }
            _ if attr.ty == AttrType::Complex => Err(invalid(format!(
                "`{}` is complex; compare one of its sub-attributes, e.g. `{}.{}`",
                attr.name,
                attr.name,
                attr.sub_attributes
                    .first()
                    .map(|s| s.name)
                    .unwrap_or("value")
            ))),
            _ => match test {
                None => Ok(self.present(loc)),
                Some((op, value)) => self.compare(loc, attr, op, value),
            },
        }
    }

    fn json_text(&mut self, doc: &JsonDoc, keys: &[String]) -> String {
        match self.backend {
            Backend::Sqlite => {
                let path = keys.iter().fold(String::from("$"), |mut acc, k| {
                    acc.push_str(".\"");
                    acc.push_str(&k.replace('"', "\\\""));
                    acc.push('"');
                    acc
                });
                format!("json_extract({}, {})", doc.expr, self.params.text(path))
            }
            Backend::Postgres => {
                let mut expr = doc.expr.clone();
                for (i, key) in keys.iter().enumerate() {
                    let arrow = if i + 1 == keys.len() { "->>" } else { "->" };
                    expr = format!("({expr} {arrow} {})", self.params.text(key.clone()));
                }
                expr
            }
        }
    }

    fn present(&mut self, loc: &Loc) -> String {
        match loc {
            Loc::Text { expr, .. } => format!("({expr} IS NOT NULL AND {expr} <> '')"),
            // A UUID is never empty.
            Loc::Uuid { expr, .. } => format!("({expr} IS NOT NULL)"),
            Loc::Json { doc, keys } => {
                let e = self.json_text(doc, keys);
                format!("({e} IS NOT NULL AND {e} <> '')")
            }
            // A boolean is present whenever it is stored.
            Loc::Flag { .. } | Loc::BoolColumn { .. } => "(1 = 1)".into(),
            Loc::Time { expr } => format!("({expr} IS NOT NULL)"),
            Loc::Multi(multi) => format!("EXISTS (SELECT 1 {})", multi.from_where),
        }
    }

    fn compare(
        &mut self,
        loc: &Loc,
        attr: &'static AttributeDef,
        op: CompareOp,
        value: &CompValue,
    ) -> Result<String, QueryError> {
        let name = attr.name;
        match (attr.ty, value) {
            (_, CompValue::Null) => {
                let present = self.present(loc);
                return match op {
                    CompareOp::Eq => Ok(format!("(NOT {present})")),
                    CompareOp::Ne => Ok(present),
                    _ => Err(invalid(format!(
                        "`{name}` can only be compared to null with eq or ne"
                    ))),
                };
            }
            (AttrType::Boolean, CompValue::Bool(b)) => {
                let truth = self.truth(loc, name)?;
                return match (op, *b) {
                    (CompareOp::Eq, true) | (CompareOp::Ne, false) => Ok(truth),
                    (CompareOp::Eq, false) | (CompareOp::Ne, true) => Ok(format!("(NOT {truth})")),
                    _ => Err(invalid(format!(
                        "booleans like `{name}` only support eq and ne"
                    ))),
                };
            }
            (AttrType::Boolean, _) => {
                return Err(invalid(format!(
                    "`{name}` is a boolean; compare it to true or false"
                )))
            }
            (AttrType::DateTime, CompValue::String(s)) => {
                if let Loc::Time { expr } = loc {
                    let at = time::OffsetDateTime::parse(
                        s,
                        &time::format_description::well_known::Rfc3339,
                    )
                    .map_err(|_| {
                        invalid(format!("`{name}` is a dateTime; `{s}` is not RFC 3339"))
                    })?;
                    let p = self.params.time(super::micros(at));
                    return self.ordered(expr, op, &p, name);
                }
            }
            (AttrType::DateTime, _) => {
                return Err(invalid(format!(
                    "`{name}` is a dateTime; compare it to a quoted RFC 3339 time"
                )))
            }
            _ => {}
        }
        if let (Loc::Uuid { expr }, CompValue::String(s), CompareOp::Eq | CompareOp::Ne) =
            (loc, value, op)
        {
            return Ok(self.uuid_equality(expr, attr, op, s));
        }
        let (expr, folded) = match loc {
            Loc::Text { expr, folded } => (expr.clone(), *folded),
            // Stored lower-case, so already folded.
            Loc::Uuid { expr } => (self.uuid_text(expr), true),
            Loc::Json { doc, keys } => (self.json_text(doc, keys), false),
            _ => return Err(invalid(format!("`{name}` cannot be compared that way"))),
        };
        let text = match value {
            CompValue::String(s) => s.clone(),
            CompValue::Number(n) if matches!(attr.ty, AttrType::Integer | AttrType::Decimal) => {
                n.to_string()
            }
            _ => {
                return Err(invalid(format!(
                    "`{name}` is a {}; compare it to a string",
                    attr.ty.as_str()
                )))
            }
        };
        // Case-insensitive attributes compare folded on both sides; exact ones as stored.
        let (lhs, text) = if attr.case_exact {
            (expr, text)
        } else if folded {
            (expr, fold_case(&text))
        } else {
            (fold_sql(&expr), fold_case(&text))
        };
        let like = |params: &mut SqlParams, pattern: String| {
            format!(
                "({lhs} IS NOT NULL AND {lhs} LIKE {} ESCAPE '\\')",
                params.text(pattern)
            )
        };
        Ok(match op {
            CompareOp::Eq => {
                let p = self.params.text(text);
                format!("({lhs} IS NOT NULL AND {lhs} = {p})")
            }
            CompareOp::Ne => {
                let p = self.params.text(text);
                format!("({lhs} IS NULL OR {lhs} <> {p})")
            }
            CompareOp::Co => like(self.params, format!("%{}%", escape_like(&text))),
            CompareOp::Sw => like(self.params, format!("{}%", escape_like(&text))),
            CompareOp::Ew => like(self.params, format!("%{}", escape_like(&text))),
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
                let p = self.params.text(text);
                let lhs = self.bytewise(&lhs);
                return self.ordered(&lhs, op, &p, name);
            }
        })
    }

    /// PostgreSQL orders text by the database's collation; SCIM wants one order everywhere,
    /// so comparisons and sorts use byte order, which is SQLite's default.
    pub fn bytewise(&self, expr: &str) -> String {
        match self.backend {
            Backend::Sqlite => expr.to_owned(),
            Backend::Postgres => format!("({expr} COLLATE \"C\")"),
        }
    }

    fn ordered(&self, lhs: &str, op: CompareOp, p: &str, name: &str) -> Result<String, QueryError> {
        let sym = match op {
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Eq => "=",
            CompareOp::Ne => return Ok(format!("({lhs} IS NULL OR {lhs} <> {p})")),
            _ => {
                return Err(invalid(format!(
                    "`{name}` does not support {}",
                    op.as_str()
                )))
            }
        };
        Ok(format!("({lhs} IS NOT NULL AND {lhs} {sym} {p})"))
    }

    /// `eq` and `ne` on a UUID column, decided in Rust with the text semantics of every
    /// other attribute: a value that is not the lower-case hyphenated text of a UUID (after
    /// lower-casing, where the attribute ignores case) equals no stored id, so it is never
    /// bound (PostgreSQL would fail its cast to uuid).
    fn uuid_equality(
        &mut self,
        expr: &str,
        attr: &AttributeDef,
        op: CompareOp,
        value: &str,
    ) -> String {
        let text = if attr.case_exact {
            value.to_owned()
        } else {
            value.to_lowercase()
        };
        let id = uuid::Uuid::parse_str(&text)
            .ok()
            .filter(|id| id.hyphenated().to_string() == text);
        match (op, id) {
            (CompareOp::Eq, Some(id)) => {
                let p = self.params.uuid(id);
                format!("({expr} IS NOT NULL AND {expr} = {p})")
            }
            (CompareOp::Eq, None) => "(1 = 0)".into(),
            (_, Some(id)) => {
                let p = self.params.uuid(id);
                format!("({expr} IS NULL OR {expr} <> {p})")
            }
            (_, None) => "(1 = 1)".into(),
        }
    }

    /// A UUID column as text, for the comparisons only text has (`co`, `sw`, `gt`...).
    fn uuid_text(&self, expr: &str) -> String {
        match self.backend {
            Backend::Sqlite => expr.to_owned(),
            Backend::Postgres => format!("CAST({expr} AS TEXT)"),
        }
    }

    fn truth(&mut self, loc: &Loc, name: &str) -> Result<String, QueryError> {
        Ok(match loc {
            Loc::Flag { when_true } => format!("({when_true})"),
            Loc::BoolColumn { expr } => match self.backend {
                Backend::Sqlite => format!("({expr} IS NOT NULL AND {expr} <> 0)"),
                Backend::Postgres => format!("({expr} IS TRUE)"),
            },
            Loc::Json { doc, keys } => {
                let e = self.json_text(doc, keys);
                match self.backend {
                    // json_extract gives 1 for JSON true.
                    Backend::Sqlite => format!("({e} IS NOT NULL AND {e} = 1)"),
                    Backend::Postgres => format!("({e} IS NOT NULL AND {e} = 'true')"),
                }
            }
            _ => return Err(invalid(format!("`{name}` cannot be compared to a boolean"))),
        })
    }
}

/// `expr` case-folded in SQL, exactly as [`fold_case`] folds in Rust: `scimd_fold` is
/// that function on SQLite (registered on every connection) and ICU's root-locale
/// `lower()` on PostgreSQL (migration 0010), never the database's locale-dependent
/// `lower()`, which on SQLite folds only ASCII.
pub fn fold_sql(expr: &str) -> String {
    format!("scimd_fold({expr})")
}
