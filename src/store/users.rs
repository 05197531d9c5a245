//! SCIM Users as stored: a directory's record joined with the account it links to.
//! Lists are filtered, sorted and paged in SQL; nothing loads a directory's users into memory.

use std::sync::OnceLock;

use super::db::{query, Conn};

use super::filter_sql::{
    fold_sql, Column, Element, FilterCompiler, JsonDoc, Loc, Multi, QueryError, SqlParams,
};
use super::keyset::{unsortable, ListOrder, PageSql};
use super::{Backend, ListQuery, Listed, StoreResult};
use crate::domain::{DirectoryId, GroupId, OrgId};
use crate::scim::cursor::Position;
use crate::scim::filter::{CompareOp, Filter};
use crate::scim::schema::def::{AttrType, AttributeDef};
use crate::scim::schema::resolve::{resolve, ResolvedAttr};
use crate::scim::schema::user::ACCOUNT_OWNED;

use super::accounts::Account;
use super::directories::{DirectoryUser, DIRECTORY_USER_COLUMNS};
use super::scim_user_row::ScimUserRow;
use super::user_derived::{
    entitlements_column, entitlements_location, groups_column, Derived, SiteProduct,
};
use super::StoreError;

/// A SCIM User: the directory's record and the account it links to.
#[derive(Clone, Debug, PartialEq)]
pub struct ScimUser {
    pub record: DirectoryUser,
    pub account: Account,
    /// The directory's groups the account belongs to, by display name; empty unless the
    /// read asked for them.
    pub groups: Vec<(GroupId, String)>,
    /// The products its org's groups grant it (its `entitlements`); empty unless the read
    /// asked for them.
    pub entitlements: Vec<SiteProduct>,
}

/// Account attributes any directory may see of an account another org manages (rule 18);
/// filters and sorts on the others treat them as absent for such accounts, as responses do.
const SHOWN_TO_STRANGERS: &[&str] = &["userName", "name", "displayName", "active", "emails"];

/// The account profile as a viewing directory may search it: `viewer` is the placeholder
/// of its org, and another org's account has no hidden attributes to match.
fn profile_doc(viewer: Option<&str>) -> String {
    match viewer {
        Some(org) => format!("(CASE WHEN d.org_id IS NULL OR d.org_id = {org} THEN a.profile END)"),
        None => "a.profile".to_owned(),
    }
}

fn user_location(
    resolved: &ResolvedAttr,
    backend: Backend,
    params: &mut SqlParams,
    viewer: Option<&str>,
) -> Option<Loc> {
    let attr = resolved.attr;
    let text = |expr: &str, folded: bool| Loc::Text {
        expr: expr.into(),
        folded,
    };
    let json = |doc: &str, keys: Vec<String>| Loc::Json {
        doc: JsonDoc { expr: doc.into() },
        keys,
    };
    if !resolved.is_core(&crate::scim::schema::user::USER_RESOURCE) {
        // Extension attributes are account-owned, nested under their schema URN.
        let mut keys = vec![resolved.schema.id.to_owned(), attr.name.to_owned()];
        keys.extend(resolved.sub.map(|s| s.name.to_owned()));
        return Some(json(&profile_doc(viewer), keys));
    }
    let sub = resolved.sub.map(|s| s.name);
    Some(match (attr.name, sub) {
        ("id", None) => Loc::Uuid {
            expr: "du.id".into(),
        },
        ("externalId", None) => text("du.external_id", false),
        ("userName", None) => text("du.user_name_lower", true),
        ("displayName", None) => text("a.display_name_lower", true),
        ("active", None) => Loc::Flag {
            when_true: "a.status = 'active'".into(),
        },
        ("meta", Some("created")) => Loc::Time {
            expr: "du.created_at".into(),
        },
        ("meta", Some("lastModified")) => Loc::Time {
            expr: "du.updated_at".into(),
        },
        ("meta", _) => return None,
        ("emails", _) => Loc::Multi(Multi {
            // Of another org's account, only its own address (the one a stranger sees).
            from_where: match (viewer, backend) {
                (Some(org), Backend::Sqlite) => format!(
                    "FROM account_emails e WHERE e.account_id = a.id AND \
                     (d.org_id IS NULL OR d.org_id = {org} OR e.value_lower = a.email_lower)"
                ),
                // PostgreSQL turns an EXISTS into a join, driven by the `emails.value`
                // index, only when it refers to the outer row by plain equalities; the
                // visibility test therefore reads the account and its domain again inside.
                // (Referring to `d` and `a` would scan the whole directory: 500 ms at
                // 100,000 users instead of under 1 ms.)
                (Some(org), Backend::Postgres) => format!(
                    "FROM account_emails e JOIN accounts ea ON ea.id = e.account_id \
                     LEFT JOIN verified_domains ed ON ed.domain = ea.email_domain \
                     WHERE e.account_id = a.id AND \
                     (ed.org_id IS NULL OR ed.org_id = {org} OR e.value_lower = ea.email_lower)"
                ),
                (None, _) => "FROM account_emails e WHERE e.account_id = a.id".into(),
            },
            element: Element::Columns(EMAIL_ELEMENT),
        }),
        ("groups", _) => Loc::Multi(Multi {
            from_where: "FROM group_members gm JOIN org_groups g ON g.id = gm.group_id \
                         WHERE gm.account_id = a.id AND g.directory_id = du.directory_id"
                .into(),
            element: Element::Columns(GROUP_ELEMENT),
        }),
        ("entitlements", _) => entitlements_location(),
        ("password", _) => return None,
        (name, _) if attr.multi_valued => {
            let key = params.text(match backend {
                Backend::Sqlite => format!("$.\"{name}\""),
                Backend::Postgres => name.to_owned(),
            });
            Loc::Multi(Multi {
                from_where: match backend {
                    Backend::Sqlite => format!("FROM json_each(du.attributes, {key}) j WHERE 1 = 1"),
                    Backend::Postgres => format!(
                        "FROM jsonb_array_elements(CASE WHEN jsonb_typeof(du.attributes -> {key}) = 'array' \
                         THEN du.attributes -> {key} ELSE '[]'::jsonb END) j WHERE 1 = 1"
                    ),
                },
                element: Element::Locate(json_element),
            })
        }
        (name, sub) => {
            let doc = if SHOWN_TO_STRANGERS.contains(&name) {
                "a.profile".to_owned()
            } else if ACCOUNT_OWNED.contains(&name) {
                profile_doc(viewer)
            } else {
                "du.attributes".to_owned()
            };
            let mut keys = vec![name.to_owned()];
            keys.extend(sub.map(str::to_owned));
            json(&doc, keys)
        }
    })
}

const EMAIL_ELEMENT: &[(&str, Column)] = &[
    ("value", Column::Folded("e.value_lower")),
    ("type", Column::Folded("e.type_lower")),
    ("primary", Column::Flag("e.is_primary")),
];

const GROUP_ELEMENT: &[(&str, Column)] = &[
    ("value", Column::Uuid("g.id")),
    ("display", Column::Folded("g.display_name_lower")),
];

fn json_element(sub: &AttributeDef, backend: Backend, _: &mut SqlParams) -> Option<Loc> {
    Some(Loc::Json {
        doc: match backend {
            Backend::Sqlite => JsonDoc {
                expr: "j.value".into(),
            },
            Backend::Postgres => JsonDoc { expr: "j".into() },
        },
        keys: vec![sub.name.to_owned()],
    })
}

/// The WHERE clause and the order of a list request. Unknown or unfilterable attributes are
/// a 400 `invalidFilter` (or `invalidValue` for sortBy) before any query runs.
pub fn compile_user_query(
    backend: Backend,
    directory: DirectoryId,
    viewer_org: OrgId,
    query: &ListQuery<'_>,
    params: &mut SqlParams,
) -> Result<(String, ListOrder), QueryError> {
    let rt = &crate::scim::schema::user::USER_RESOURCE;
    let condition = format!("du.directory_id = {}", params.uuid(directory));
    // Only a filter or a sort can look at what another org's account hides.
    let viewer =
        (query.filter.is_some() || query.sort_by.is_some()).then(|| params.uuid(viewer_org));
    let locate = |resolved: &ResolvedAttr, backend: Backend, params: &mut SqlParams| {
        user_location(resolved, backend, params, viewer.as_deref())
    };
    let mut compiler = FilterCompiler::new(backend, rt, &locate, params);
    let condition = compiler.and_filter(condition, query.filter)?;
    // Unfiltered lists walk the (directory_id, created_at, id) index in order. With a
    // filter, `+ 0` keeps SQLite's planner from preferring that index over the filter's
    // own (it would otherwise scan the whole directory to avoid a small sort);
    // PostgreSQL weighs the two by cost.
    let created = if query.filter.is_some() && backend == Backend::Sqlite {
        "(du.created_at + 0)"
    } else {
        "du.created_at"
    };
    let sort_key = match query.sort_by {
        None => None,
        Some(path) => {
            let bad = || unsortable(path, "User");
            let resolved = resolve(rt, path).ok_or_else(bad)?;
            Some(
                match user_location(&resolved, backend, compiler.params, viewer.as_deref()) {
                    Some(Loc::Text { expr, .. }) => compiler.bytewise(&expr),
                    Some(Loc::Time { expr } | Loc::Uuid { expr }) => expr,
                    Some(Loc::Flag { when_true }) => {
                        format!("(CASE WHEN {when_true} THEN 1 ELSE 0 END)")
                    }
                    Some(Loc::Json { doc, keys }) => {
                        let expr = json_sort_key(backend, &doc, &keys, compiler.params);
                        // RFC 7644 §3.4.2.3: case-insensitive attributes sort ignoring case.
                        let target = resolved.target();
                        if target.ty == AttrType::String && !target.case_exact {
                            compiler.bytewise(&fold_sql(&expr))
                        } else {
                            compiler.bytewise(&expr)
                        }
                    }
                    Some(Loc::Multi(_)) if resolved.attr.name == "emails" => {
                        // RFC 7644 §3.4.2.3: a multi-valued attribute sorts by its primary (or first) value.
                        "(SELECT e.value_lower FROM account_emails e WHERE e.account_id = a.id \
                     ORDER BY e.is_primary DESC, e.position LIMIT 1)"
                            .to_owned()
                    }
                    _ => return Err(bad()),
                },
            )
        }
    };
    let order = ListOrder::by(sort_key, created, "du.id", query.descending);
    Ok((condition, order))
}

fn json_sort_key(
    backend: Backend,
    doc: &JsonDoc,
    keys: &[String],
    params: &mut SqlParams,
) -> String {
    match backend {
        Backend::Sqlite => {
            let path = keys.iter().fold(String::from("$"), |acc, k| {
                format!("{acc}.\"{}\"", k.replace('"', "\\\""))
            });
            format!("json_extract({}, {})", doc.expr, params.text(path))
        }
        Backend::Postgres => {
            let mut expr = doc.expr.clone();
            for (i, key) in keys.iter().enumerate() {
                let arrow = if i + 1 == keys.len() { "->>" } else { "->" };
                expr = format!("({expr} {arrow} {})", params.text(key.clone()));
            }
            expr
        }
    }
}

const USER_FROM: &str = "FROM directory_users du JOIN accounts a ON a.id = du.account_id \
     LEFT JOIN verified_domains d ON d.domain = a.email_domain";

/// The columns of a SCIM user on `backend` with `derived`. Every lookup sends one of these
/// eight texts, so each is built once: building it per request was ~2% of a lookup's CPU.
fn select_columns(backend: Backend, derived: Derived) -> &'static str {
    static TEXTS: [OnceLock<String>; 8] = [const { OnceLock::new() }; 8];
    TEXTS[variant(backend, derived)].get_or_init(|| build_select_columns(backend, derived))
}

/// Which of the eight (backend, derived) combinations this is, counted from 0.
fn variant(backend: Backend, derived: Derived) -> usize {
    usize::from(backend == Backend::Postgres) * 4
        + usize::from(derived.groups) * 2
        + usize::from(derived.entitlements)
}

fn build_select_columns(backend: Backend, derived: Derived) -> String {
    let derived = match (backend, derived) {
        (Backend::Postgres, Derived::ALL) => super::user_derived::derived_column_postgres(),
        _ => format!(
            "{}, {}",
            groups_column(backend, derived.groups),
            entitlements_column(backend, derived.entitlements)
        ),
    };
    format!(
        "{DIRECTORY_USER_COLUMNS}, {}, {derived}",
        super::accounts::ACCOUNT_COLUMNS,
    )
}

/// Total matching and one page of users, in one statement: the count rides along as a
/// column, computed once (an uncorrelated subquery). Only a page past the end needs a
/// second statement for the count.
pub async fn list_scim_users(
    conn: &mut Conn,
    directory: DirectoryId,
    viewer_org: OrgId,
    query: &ListQuery<'_>,
    derived: Derived,
) -> Result<Listed<ScimUser>, ListError> {
    let backend = conn.backend();
    let mut params = SqlParams::default();
    let (condition, order) =
        compile_user_query(backend, directory, viewer_org, query, &mut params)?;
    let unfiltered = query.filter.is_none() && query.sort_by.is_none();
    // Each record links exactly one account, so without a filter the records alone count.
    let count_sql = if unfiltered {
        // `$1` is the directory, the only condition of an unfiltered list; the count is
        // kept by triggers (migration 0006 on SQLite, 0013 in slots on PostgreSQL).
        "SELECT COALESCE((SELECT CAST(SUM(c.users) AS BIGINT) FROM directory_user_counts c \
         WHERE c.directory_id = $1), 0)"
            .to_owned()
    } else {
        format!("SELECT COUNT(*) {USER_FROM} WHERE {condition}")
    };
    // The count binds the values of the query's own condition, not the page's.
    let count_params = params.len();
    if query.limit <= 0 {
        let total: i64 = params
            .query(&count_sql)
            .scalar(conn)
            .await
            .map_err(StoreError::from)?;
        return Ok(Listed {
            total,
            rows: Vec::new(),
        });
    }
    let PageSql {
        condition,
        order_by,
        limit,
        offset,
    } = order.page(condition, query, &mut params);
    let columns = format!(
        "{}, {} AS k_sort",
        select_columns(backend, derived),
        order.key
    );
    let sql = if unfiltered {
        // A full sync pages through everything: skip the offset (or seek the cursor's
        // position) on the index alone, then join only the page.
        format!(
            "SELECT ({count_sql}) AS u_total, {columns} FROM (SELECT du.id FROM directory_users du \
             WHERE {condition} ORDER BY {order_by} LIMIT {limit} OFFSET {offset}) page \
             JOIN directory_users du ON du.id = page.id \
             JOIN accounts a ON a.id = du.account_id \
             LEFT JOIN verified_domains d ON d.domain = a.email_domain ORDER BY {order_by}"
        )
    } else {
        // A filtered count repeats the filter's whole lookup, so it is left to a second
        // statement that runs only when the page cannot tell the total: an IdP's `eq`
        // lookup (at most one row) stays one lookup. A sorted list counts along.
        let total = if query.filter.is_some() {
            "CAST(-1 AS BIGINT)".to_owned()
        } else {
            format!("({count_sql})")
        };
        format!(
            "SELECT {total} AS u_total, {columns} {USER_FROM} WHERE {condition} \
             ORDER BY {order_by} LIMIT {limit} OFFSET {offset}"
        )
    };
    let (rows, params): (Vec<ScimUserRow>, _) = {
        let values = params.into_values();
        let count_values = values[..count_params].to_vec();
        let page = super::db::query_with(&sql, values);
        let rows = if bounded_by_index(query) {
            page.fetch_all_inline(&mut *conn).await
        } else {
            page.fetch_all(&mut *conn).await
        };
        let rows = rows.map_err(StoreError::from)?;
        (rows, count_values)
    };
    let from_start = query.offset == 0 && query.seek.is_none();
    let total = match rows.first() {
        Some(row) if row.u_total >= 0 => row.u_total,
        // A page that starts at the first match and is not full holds every match.
        _ if from_start && (rows.len() as i64) < query.limit => rows.len() as i64,
        _ => super::db::query_with(&count_sql, params)
            .scalar(conn)
            .await
            .map_err(StoreError::from)?,
    };
    let rows = rows
        .into_iter()
        .map(|row| {
            let key = row.k_sort.0.clone();
            let user = ScimUser::try_from(row)?;
            let position = Position {
                key,
                id: user.record.id,
            };
            Ok((position, user))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Listed { total, rows })
}

/// How many of the directory's index entries an unfiltered page may skip (`startIndex`
/// not resumed from a remembered position) and still run on the request's thread: about a
/// millisecond of index walk.
const INLINE_SKIP: i64 = 10_000;

/// Whether a list's statement is bounded by an index, so that it may run on the request's
/// thread (`inline_reads`); any other list may scan. An unfiltered, unsorted page walks the
/// directory's index from a cursor's position or a small offset and reads at most a page
/// (`--max-page-size`); an IdP's lookup is one `eq` on an attribute an index of the
/// directory's records serves (`userName`, `externalId`, `id`).
fn bounded_by_index(query: &ListQuery<'_>) -> bool {
    let rt = &crate::scim::schema::user::USER_RESOURCE;
    if query.filter.is_none() && query.sort_by.is_none() {
        return query.seek.is_some() || query.offset <= INLINE_SKIP;
    }
    let Some(Filter::Compare {
        path,
        op: CompareOp::Eq,
        ..
    }) = query.filter
    else {
        return false;
    };
    query.sort_by.is_none()
        && resolve(rt, path).is_some_and(|attr| {
            attr.is_core(rt)
                && attr.sub.is_none()
                && matches!(attr.attr.name, "userName" | "externalId" | "id")
        })
}

/// A list failed because of the request (bad filter or sort) or the database.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Request(#[from] QueryError),
    #[error(transparent)]
    Store(#[from] super::StoreError),
}

/// One user by SCIM id, only within `directory` (rule 18), with the derived attributes
/// asked for: one statement.
pub async fn get_scim_user(
    conn: &mut Conn,
    directory: DirectoryId,
    id: uuid::Uuid,
    derived: Derived,
) -> StoreResult<Option<ScimUser>> {
    scim_user_by_id(conn, directory, id, derived, RowLock::None).await
}

/// Whether a read of a user locks its account's row (on PostgreSQL: SQLite has no row locks,
/// its writes are serialized anyway).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowLock {
    None,
    ForUpdate,
}

/// [`get_scim_user`], locking as `lock` says.
pub(super) async fn scim_user_by_id(
    conn: &mut Conn,
    directory: DirectoryId,
    id: uuid::Uuid,
    derived: Derived,
    lock: RowLock,
) -> StoreResult<Option<ScimUser>> {
    static TEXTS: [OnceLock<String>; 16] = [const { OnceLock::new() }; 16];
    let backend = conn.backend();
    let locked = lock == RowLock::ForUpdate && backend == Backend::Postgres;
    let sql = TEXTS[variant(backend, derived) * 2 + usize::from(locked)].get_or_init(|| {
        format!(
            "SELECT CAST(1 AS BIGINT) AS u_total, {} {USER_FROM} \
             WHERE du.id = $1 AND du.directory_id = $2{}",
            select_columns(backend, derived),
            if locked { " FOR UPDATE OF a" } else { "" }
        )
    });
    let row: Option<ScimUserRow> = query(sql)
        .bind(id)
        .bind(directory)
        .fetch_optional_inline(conn)
        .await?;
    row.map(ScimUser::try_from).transpose()
}
