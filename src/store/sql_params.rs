//! Placeholders and their values, collected while a statement's text is built, and the
//! statements several tables share the shape of: one owner's rows, a counted page; LIKE
//! patterns that match a value literally.

use super::db::{query, Conn, IntoParam, Param, Record};
use super::StoreResult;

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

/// One column compared to one value in a WHERE clause.
pub type Equals<'a> = (&'a str, Param);

/// `<select> WHERE <column> IN (<ids>)`: the rows of a batch (the groups an invite names, the
/// accounts a delivery pass writes to), in one statement, none for no ids, in no set order.
pub async fn rows_by_ids<T: Record, V: IntoParam + Copy>(
    conn: &mut Conn,
    select: &str,
    column: &str,
    ids: &[V],
) -> StoreResult<Vec<T>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{select} WHERE {column} IN ({})",
        super::db::placeholder_list(1, ids.len())
    );
    Ok(query(&sql)
        .bind_each(ids.iter().copied())
        .fetch_all(conn)
        .await?)
}

/// `<select> WHERE <owner> [AND <only>] ORDER BY <order> LIMIT <limit>`: the first rows
/// one owner holds (a site's emails, a receiver's SETs), optionally only those with one
/// more column equal to a value.
pub async fn owned_rows<T: Record>(
    conn: &mut Conn,
    select: &str,
    owner: Equals<'_>,
    only: Option<Equals<'_>>,
    order: &str,
    limit: i64,
) -> StoreResult<Vec<T>> {
    let mut params = SqlParams::default();
    let mut clause = format!("{} = {}", owner.0, params.push(owner.1));
    if let Some((column, value)) = only {
        clause.push_str(&format!(" AND {column} = {}", params.push(value)));
    }
    let limit = params.int(limit);
    let sql = format!("{select} WHERE {clause} ORDER BY {order} LIMIT {limit}");
    Ok(params.query(&sql).fetch_all(conn).await?)
}

/// A page of `SELECT <columns> <from_where>` in `order`, and how many rows match in all:
/// two statements on the same values.
pub async fn counted_page<T: Record>(
    conn: &mut Conn,
    mut params: SqlParams,
    columns: &str,
    from_where: &str,
    order: &str,
    offset: i64,
    limit: i64,
) -> StoreResult<(Vec<T>, i64)> {
    let count_sql = format!("SELECT COUNT(*) {from_where}");
    let total: i64 = params.to_query(&count_sql).scalar(&mut *conn).await?;
    let limit = params.int(limit);
    let offset = params.int(offset);
    let sql =
        format!("SELECT {columns} {from_where} ORDER BY {order} LIMIT {limit} OFFSET {offset}");
    let rows = params.query(&sql).fetch_all(conn).await?;
    Ok((rows, total))
}

/// Makes `%`, `_` and the escape character itself match literally in a LIKE pattern.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The highest `$N` placeholder in a statement's text (0 if none). Every statement is
/// checked so, and a user's read is ~1,200 characters: the `$`s are found by `memchr`
/// (through `match_indices`), not byte by byte, which was ~1% of a lookup's CPU.
pub fn highest_placeholder(sql: &str) -> usize {
    sql.match_indices('$')
        .filter_map(|(at, _)| {
            let after = &sql[at + 1..];
            let digits = after
                .bytes()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(after.len());
            after[..digits].parse::<usize>().ok()
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_values_are_literal() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("plain"), "plain");
    }

    #[test]
    fn highest_placeholder_reads_numbered_parameters_only() {
        assert_eq!(highest_placeholder("SELECT 1"), 0);
        assert_eq!(highest_placeholder("SELECT $2, $10, $3"), 10);
        // SQLite JSON paths start with `$` but are not parameters.
        assert_eq!(
            highest_placeholder("SELECT json_extract(data, '$.title') WHERE id = $1"),
            1
        );
        assert_eq!(highest_placeholder("SELECT $"), 0);
    }
}
