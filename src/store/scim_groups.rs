//! SCIM Groups as stored: the groups a directory syncs (`org_groups.directory_id`), with
//! members that are the same directory's users. Membership rows hold account ids; SCIM
//! speaks the directory's user ids, so both directions go through `directory_users`.
//! Lists are filtered, sorted and paged in SQL, and members are read only when a response
//! carries them.

use std::collections::HashMap;

use super::db::{placeholder_list, query, Conn, Time};

use super::db_types::{DbSortValue, DbUuid};
use super::filter_sql::{Column, Element, FilterCompiler, Loc, Multi, QueryError, SqlParams};
use super::groups::Group;
use super::keyset::{unsortable, ListOrder};
use super::{Backend, ListError, ListQuery, Listed, StoreError, StoreResult};
use crate::domain::{AccountId, DirectoryId, GroupId};
use crate::scim::cursor::Position;
use crate::scim::schema::group::GROUP_RESOURCE;
use crate::scim::schema::resolve::{resolve, ResolvedAttr};

/// Ids per `IN (...)` list, well below both backends' bound-parameter limits.
const CHUNK: usize = 500;

/// One member as SCIM shows it: the directory's user id and the account's display name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRef {
    pub user_id: uuid::Uuid,
    pub display: Option<String>,
}

const GROUP_SELECT_COLUMNS: &str =
    "SELECT g.id, g.org_id, g.directory_id, g.display_name, g.external_id, g.created_at, \
     g.updated_at, g.version";

impl super::inline_reads::InlineRow for Group {
    fn from_inline(row: &super::inline_reads::Columns<'_, '_>) -> rusqlite::Result<Self> {
        Ok(Group {
            id: row.uuid("id")?.into(),
            org_id: row.uuid("org_id")?.into(),
            directory_id: row.uuid_opt("directory_id")?.map(DirectoryId::from),
            display_name: row.text("display_name")?,
            external_id: row.text_opt("external_id")?,
            created_at: row.int("created_at")?,
            updated_at: row.int("updated_at")?,
            version: row.int("version")?,
        })
    }
}

fn group_location(resolved: &ResolvedAttr, _: Backend, _: &mut SqlParams) -> Option<Loc> {
    let text = |expr: &str, folded: bool| Loc::Text {
        expr: expr.into(),
        folded,
    };
    Some(match (resolved.attr.name, resolved.sub.map(|s| s.name)) {
        ("id", None) => Loc::Uuid {
            expr: "g.id".into(),
        },
        ("externalId", None) => text("g.external_id", false),
        ("displayName", None) => text("g.display_name_lower", true),
        ("meta", Some("created")) => Loc::Time {
            expr: "g.created_at".into(),
        },
        ("meta", Some("lastModified")) => Loc::Time {
            expr: "g.updated_at".into(),
        },
        // Correlated on the group's primary key and the user's id, so `members[value eq
        // "id"]` is two index probes whatever the size of the group. The correlation stays
        // in WHERE: PostgreSQL turns an EXISTS into a join only when no ON clause refers
        // to the outer row (otherwise it probes the subquery once per group).
        ("members", _) => Loc::Multi(Multi {
            from_where: "FROM group_members gm \
                 JOIN directory_users mu ON mu.account_id = gm.account_id \
                 JOIN accounts ma ON ma.id = gm.account_id \
                 WHERE gm.group_id = g.id AND mu.directory_id = g.directory_id"
                .into(),
            element: Element::Columns(MEMBER_ELEMENT),
        }),
        _ => return None,
    })
}

const MEMBER_ELEMENT: &[(&str, Column)] = &[
    // Compared as a UUID, so the comparison can use the primary key.
    ("value", Column::Uuid("mu.id")),
    ("display", Column::Folded("ma.display_name_lower")),
    // Members are users only (nested groups are not supported).
    ("type", Column::Folded("'user'")),
];

/// The WHERE clause and the order of a list request; unknown or unfilterable attributes are
/// a 400 before any query runs.
pub fn compile_group_query(
    backend: Backend,
    directory: DirectoryId,
    query: &ListQuery<'_>,
    params: &mut SqlParams,
) -> Result<(String, ListOrder), QueryError> {
    let rt = &GROUP_RESOURCE;
    let condition = format!("g.directory_id = {}", params.uuid(directory));
    let mut compiler = FilterCompiler::new(backend, rt, &group_location, params);
    let condition = compiler.and_filter(condition, query.filter)?;
    let sort_key = match query.sort_by {
        None => None,
        Some(path) => {
            let bad = || unsortable(path, "Group");
            let resolved = resolve(rt, path).ok_or_else(bad)?;
            Some(match group_location(&resolved, backend, compiler.params) {
                Some(Loc::Text { expr, .. }) => compiler.bytewise(&expr),
                Some(Loc::Time { expr } | Loc::Uuid { expr }) => expr,
                _ => return Err(bad()),
            })
        }
    };
    // Groups without the attribute sort last ascending on both backends.
    let order = ListOrder::by(sort_key, "g.created_at", "g.id", query.descending);
    Ok((condition, order))
}

/// Total matching and one page of a directory's groups.
pub async fn list_scim_groups(
    conn: &mut Conn,
    backend: Backend,
    directory: DirectoryId,
    query: &ListQuery<'_>,
) -> Result<Listed<Group>, ListError> {
    let mut params = SqlParams::default();
    let (condition, order) = compile_group_query(backend, directory, query, &mut params)?;
    // Counted first, unlike users: a `members[value eq]` filter that matches no group (an
    // IdP checking a membership) is answered by the count alone, which SQLite plans from
    // the member's side, while the page's ORDER BY makes it walk every group in order.
    let count_sql = format!("SELECT COUNT(*) FROM org_groups g WHERE {condition}");
    let total: i64 = params
        .to_query(&count_sql)
        .scalar(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    let past_end = query.seek.is_none() && total <= query.offset;
    if query.limit <= 0 || total == 0 || past_end {
        return Ok(Listed {
            total,
            rows: Vec::new(),
        });
    }
    let page = order.page(condition, query, &mut params);
    let sql = format!(
        "{GROUP_SELECT_COLUMNS}, {} AS k_sort FROM org_groups g WHERE {} \
         ORDER BY {} LIMIT {} OFFSET {}",
        order.key, page.condition, page.order_by, page.limit, page.offset
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        group: Group,
        k_sort: DbSortValue,
    }
    let rows: Vec<Row> = params
        .to_query(&sql)
        .fetch_all(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    let rows = rows
        .into_iter()
        .map(|row| {
            let position = Position {
                key: row.k_sort.0,
                id: row.group.id.into(),
            };
            (position, row.group)
        })
        .collect::<Vec<_>>();
    Ok(Listed { total, rows })
}

/// One group by SCIM id, only if `directory` syncs it (rule 18: others are invisible). A
/// primary-key lookup: on a SQLite read, on the request's thread (`inline_reads`).
pub async fn get_directory_group(
    conn: &mut Conn,
    directory: DirectoryId,
    id: GroupId,
) -> StoreResult<Option<Group>> {
    let sql =
        format!("{GROUP_SELECT_COLUMNS} FROM org_groups g WHERE g.id = $1 AND g.directory_id = $2");
    Ok(query(&sql)
        .bind(id)
        .bind(directory)
        .fetch_optional_inline(conn)
        .await?)
}

/// A group as a PATCH finds it: already bumped to its next version (which also takes its
/// row lock), with its directory's preference for minimal PATCH responses. One statement;
/// a PATCH that turns out to change nothing rolls back, and the bump with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BumpedGroup {
    pub group: Group,
    pub group_patch_minimal: bool,
}

pub async fn bump_directory_group(
    conn: &mut Conn,
    directory: DirectoryId,
    id: GroupId,
    at: i64,
) -> StoreResult<Option<BumpedGroup>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        group: Group,
        group_patch_minimal: bool,
    }
    let row: Option<Row> = query(
        "UPDATE org_groups SET version = version + 1, updated_at = $3 \
         WHERE id = $1 AND directory_id = $2 RETURNING id, org_id, directory_id, display_name, \
         external_id, created_at, updated_at, version, \
         (SELECT dir.group_patch_minimal FROM directories dir \
          WHERE dir.id = org_groups.directory_id) AS group_patch_minimal",
    )
    .bind(id)
    .bind(directory)
    .bind(Time(at))
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| BumpedGroup {
        group: row.group,
        group_patch_minimal: row.group_patch_minimal,
    }))
}

/// Like [`get_directory_group`], but first takes the group's row lock (a no-op UPDATE,
/// which both backends accept), so writers to one group queue: the If-Match check and the
/// read-modify-write of its name see the latest committed version. Member rows are not
/// locked or read.
pub async fn lock_directory_group(
    conn: &mut Conn,
    directory: DirectoryId,
    id: GroupId,
) -> StoreResult<Option<Group>> {
    query("UPDATE org_groups SET version = version WHERE id = $1 AND directory_id = $2")
        .bind(id)
        .bind(directory)
        .execute(&mut *conn)
        .await?;
    get_directory_group(conn, directory, id).await
}

/// The accounts behind those of `ids` that are users of `directory`; ids that are not are
/// absent from the answer. On PostgreSQL the records are share-locked until commit, so a
/// concurrent SCIM DELETE of the user (which removes it from the directory's groups) waits
/// for this transaction instead of missing a membership it is about to add.
pub async fn resolve_directory_users(
    conn: &mut Conn,
    backend: Backend,
    directory: DirectoryId,
    ids: &[uuid::Uuid],
) -> StoreResult<HashMap<uuid::Uuid, AccountId>> {
    let mut found = HashMap::with_capacity(ids.len());
    let lock = match backend {
        Backend::Postgres => " FOR SHARE",
        Backend::Sqlite => "",
    };
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT id, account_id FROM directory_users WHERE directory_id = $1 AND id IN ({}){lock}",
            placeholder_list(2, chunk.len())
        );
        #[derive(sqlx::FromRow)]
        struct RecordRow {
            #[sqlx(try_from = "DbUuid")]
            id: uuid::Uuid,
            #[sqlx(try_from = "DbUuid")]
            account_id: AccountId,
        }
        let rows: Vec<RecordRow> = query(&sql)
            .bind(directory)
            .bind_each(chunk.iter().copied())
            .fetch_all(&mut *conn)
            .await?;
        found.extend(rows.into_iter().map(|row| (row.id, row.account_id)));
    }
    Ok(found)
}

/// The members of each of `groups` as `directory`'s users, in the order they were added.
pub async fn directory_group_members(
    conn: &mut Conn,
    directory: DirectoryId,
    groups: &[GroupId],
) -> StoreResult<HashMap<GroupId, Vec<MemberRef>>> {
    let mut out: HashMap<GroupId, Vec<MemberRef>> = HashMap::new();
    for chunk in groups.chunks(CHUNK) {
        let sql = format!(
            // CROSS JOIN fixes SQLite's join order (PostgreSQL plans it freely): from the
            // group's own members outwards. With statistics skewed by one huge group, SQLite
            // would otherwise walk the whole directory to find a small group's members.
            "SELECT gm.group_id, du.id AS user_id, a.display_name FROM group_members gm \
             CROSS JOIN directory_users du CROSS JOIN accounts a \
             WHERE gm.group_id IN ({}) AND du.directory_id = $1 AND du.account_id = gm.account_id \
             AND a.id = gm.account_id ORDER BY gm.group_id, gm.added_at, du.id",
            placeholder_list(2, chunk.len())
        );
        #[derive(sqlx::FromRow)]
        struct MemberRow {
            #[sqlx(try_from = "DbUuid")]
            group_id: GroupId,
            #[sqlx(try_from = "DbUuid")]
            user_id: uuid::Uuid,
            display_name: Option<String>,
        }
        let rows: Vec<MemberRow> = query(&sql)
            .bind(directory)
            .bind_each(chunk.iter().copied())
            .fetch_all(&mut *conn)
            .await?;
        for row in rows {
            out.entry(row.group_id).or_default().push(MemberRef {
                user_id: row.user_id,
                display: row.display_name,
            });
        }
    }
    Ok(out)
}
