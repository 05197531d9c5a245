//! Placeholders and their values, collected while a statement's text is built.

use super::db::Param;

/// Hands out `$N` placeholders and keeps their values.
#[derive(Debug, Default)]
pub struct SqlParams {
    values: Vec<Param>,
}

impl SqlParams {
    pub fn push(&mut self, value: Param) -> String {
        self.values.push(value);
        format!("${}", self.values.len())
    }

    pub fn text(&mut self, value: impl Into<String>) -> String {
        self.push(Param::Text(value.into()))
    }

    pub fn int(&mut self, value: i64) -> String {
        self.push(Param::Int(value))
    }

    pub fn float(&mut self, value: f64) -> String {
        self.push(Param::Float(value))
    }

    pub fn uuid(&mut self, value: impl Into<uuid::Uuid>) -> String {
        self.push(Param::Uuid(value.into()))
    }

    /// A time in microseconds since the Unix epoch.
    pub fn time(&mut self, micros: i64) -> String {
        self.push(Param::Time(micros))
    }

    pub fn boolean(&mut self, value: bool) -> String {
        self.push(Param::Bool(value))
    }

    /// The statement with these values bound, in placeholder order.
    pub fn query(self, sql: &str) -> super::db::Query<'_> {
        super::db::query_with(sql, self.values)
    }

    /// The statement with a copy of these values, for a caller that binds more afterwards.
    pub fn to_query<'q>(&self, sql: &'q str) -> super::db::Query<'q> {
        super::db::query_with(sql, self.values.clone())
    }

    pub fn into_values(self) -> Vec<Param> {
        self.values
    }

    /// The number of values bound so far.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}
