//! The order of a SCIM list and the keyset condition that resumes it after (or before) a
//! position (cursor pagination, RFC 9865). A keyset page reads only its own rows through
//! the index that serves the order, so page 1,000 costs what page 1 costs; an `OFFSET`
//! walks past every earlier row.

use super::filter_sql::{QueryError, SqlParams};
use super::ListQuery;
use crate::scim::cursor::{Seek, SortValue};

/// The refusal of a `sortBy` that names no single-valued attribute of `resource`.
pub fn unsortable(path: impl std::fmt::Display, resource: &str) -> QueryError {
    QueryError::Sort(format!(
        "cannot sort by `{path}`: not a single-valued attribute of {resource}"
    ))
}

/// A list's order: a sort key, then the row's id, which makes every row's place unique.
#[derive(Clone, Debug)]
pub struct ListOrder {
    pub key: String,
    /// The key may be NULL: such rows sort last ascending and first descending, on both
    /// backends (their own NULL orderings differ).
    pub nullable: bool,
    pub id: String,
    pub descending: bool,
}

impl ListOrder {
    /// By `sort_key` when a list asks for one (a key that may be NULL), else by `created`,
    /// which never is; ties broken by `id`.
    pub fn by(sort_key: Option<String>, created: &str, id: &str, descending: bool) -> Self {
        ListOrder {
            nullable: sort_key.is_some(),
            key: sort_key.unwrap_or_else(|| created.to_owned()),
            id: id.to_owned(),
            descending,
        }
    }

    /// A page before a position is read in the reverse order (and turned round by the
    /// caller), so that `LIMIT` keeps the rows nearest the position.
    fn descending_for(&self, seek: Option<&Seek>) -> bool {
        self.descending != seek.is_some_and(Seek::before)
    }

    /// `ORDER BY` terms for a page that starts at `seek` (or at the beginning).
    pub fn order_by(&self, seek: Option<&Seek>) -> String {
        let direction = if self.descending_for(seek) {
            "DESC"
        } else {
            "ASC"
        };
        let (key, id) = (&self.key, &self.id);
        if self.nullable {
            format!(
                "(CASE WHEN {key} IS NULL THEN 1 ELSE 0 END) {direction}, {key} {direction}, {id} {direction}"
            )
        } else {
            format!("{key} {direction}, {id} {direction}")
        }
    }

    /// The rows strictly past `seek` in the order [`ListOrder::order_by`] gives for it.
    pub fn seek_condition(&self, seek: &Seek, params: &mut SqlParams) -> String {
        let descending = self.descending_for(Some(seek));
        let past = if descending { "<" } else { ">" };
        let (key, id) = (&self.key, &self.id);
        let at_id = params.uuid(seek.position.id);
        let Some(at_key) = bind(&seek.position.key, params) else {
            // The position's key is NULL: NULLs come last ascending, first descending.
            return if descending {
                format!("({key} IS NOT NULL OR ({key} IS NULL AND {id} < {at_id}))")
            } else {
                format!("({key} IS NULL AND {id} > {at_id})")
            };
        };
        if !self.nullable {
            // A row-value comparison, which both backends serve as a range of the index
            // that holds (key, id).
            return format!("(({key}, {id}) {past} ({at_key}, {at_id}))");
        }
        let tie = format!("({key} = {at_key} AND {id} {past} {at_id})");
        if descending {
            format!("({key} IS NOT NULL AND ({key} < {at_key} OR {tie}))")
        } else {
            format!("({key} IS NULL OR {key} > {at_key} OR {tie})")
        }
    }
}

/// A list page's SQL: its condition (the query's, and past the cursor's position if it has
/// one), `ORDER BY` terms and `LIMIT`/`OFFSET` placeholders.
pub struct PageSql {
    pub condition: String,
    pub order_by: String,
    pub limit: String,
    pub offset: String,
}

impl ListOrder {
    /// The page `query` asks for of the rows matching `condition`. Binds after whatever
    /// `params` holds, so a count over `condition` alone can reuse the values bound so far.
    pub fn page(
        &self,
        condition: String,
        query: &ListQuery<'_>,
        params: &mut SqlParams,
    ) -> PageSql {
        let condition = match query.seek {
            Some(seek) => format!("{condition} AND {}", self.seek_condition(seek, params)),
            None => condition,
        };
        PageSql {
            condition,
            order_by: self.order_by(query.seek),
            limit: params.int(query.limit),
            offset: params.int(query.offset),
        }
    }
}

/// The placeholder of a sort key's value, bound as the type it was read as; `None` for NULL.
fn bind(value: &SortValue, params: &mut SqlParams) -> Option<String> {
    Some(match value {
        SortValue::Null => return None,
        SortValue::Int(i) => params.int(*i),
        SortValue::Float(f) => params.float(*f),
        SortValue::Text(s) => params.text(s.clone()),
        SortValue::Time(t) => params.time(*t),
        SortValue::Uuid(u) => params.uuid(*u),
        SortValue::Bool(b) => params.boolean(*b),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::cursor::{Direction, Position};

    fn seek(key: SortValue, direction: Direction) -> Seek {
        Seek {
            position: Position {
                key,
                id: uuid::Uuid::nil(),
            },
            direction,
        }
    }

    /// Ascending on a key `k`, then on `id`.
    fn ascending(nullable: bool) -> ListOrder {
        ListOrder {
            key: "k".into(),
            nullable,
            id: "id".into(),
            descending: false,
        }
    }

    #[test]
    fn a_page_before_a_position_reads_backwards() {
        let order = ascending(false);
        let mut params = SqlParams::default();
        let after = seek(SortValue::Int(5), Direction::After);
        assert_eq!(order.order_by(Some(&after)), "k ASC, id ASC");
        assert_eq!(
            order.seek_condition(&after, &mut params),
            "((k, id) > ($2, $1))"
        );
        let before = seek(SortValue::Int(5), Direction::Before);
        assert_eq!(order.order_by(Some(&before)), "k DESC, id DESC");
        assert_eq!(
            order.seek_condition(&before, &mut params),
            "((k, id) < ($4, $3))"
        );
    }

    #[test]
    fn nullable_keys_keep_nulls_last_ascending() {
        let order = ascending(true);
        let mut params = SqlParams::default();
        let at_null = seek(SortValue::Null, Direction::After);
        assert_eq!(
            order.seek_condition(&at_null, &mut params),
            "(k IS NULL AND id > $1)"
        );
        let at_text = seek(SortValue::Text("m".into()), Direction::After);
        assert_eq!(
            order.seek_condition(&at_text, &mut params),
            "(k IS NULL OR k > $3 OR (k = $3 AND id > $2))"
        );
        let back = seek(SortValue::Text("m".into()), Direction::Before);
        assert!(order
            .order_by(Some(&back))
            .starts_with("(CASE WHEN k IS NULL THEN 1 ELSE 0 END) DESC"));
        assert_eq!(
            order.seek_condition(&back, &mut params),
            "(k IS NOT NULL AND (k < $5 OR (k = $5 AND id < $4)))"
        );
    }
}
