//! Site users as admins list them, and the site's own product groups.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::accounts::{account_columns_from, Account, ACCOUNT_COLUMNS};
use super::filter_sql::SqlParams;
use super::{parse_enum, parse_id, StoreResult};
use crate::domain::{AccountId, AccountStatus, GroupId, SiteAccess, SiteId, SiteRole};

/// A `LIKE` pattern matching `needle` anywhere, with `%`, `_` and `\` taken literally.
pub(super) fn contains_pattern(needle: &str) -> String {
    format!(
        "%{}%",
        super::filter_sql::escape_like(&needle.to_lowercase())
    )
}

/// Which site users to list. Empty state lists mean "no filter on states".
#[derive(Clone, Debug, Default)]
pub struct SiteUserQuery {
    /// Memberships in these access states, whatever the account's status.
    pub access_any_status: Vec<SiteAccess>,
    /// Memberships in these access states whose account is active.
    pub access_if_active: Vec<SiteAccess>,
    /// Memberships of deactivated accounts.
    pub deactivated: bool,
    /// Case-insensitive substring of the email or display name.
    pub search: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// One row of a site's user list.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteUserRow {
    pub account: Account,
    pub access: SiteAccess,
    pub role: SiteRole,
    pub created_at: i64,
    pub updated_at: i64,
}

fn states_condition(query: &SiteUserQuery, binds: &mut SqlParams) -> Option<String> {
    let mut parts = Vec::new();
    let list = |states: &[SiteAccess], binds: &mut SqlParams| -> String {
        let holders: Vec<String> = states.iter().map(|s| binds.text(s.as_str())).collect();
        holders.join(", ")
    };
    if !query.access_any_status.is_empty() {
        parts.push(format!(
            "su.access IN ({})",
            list(&query.access_any_status, binds)
        ));
    }
    if !query.access_if_active.is_empty() {
        let holders = list(&query.access_if_active, binds);
        let active = binds.text(AccountStatus::Active.as_str());
        parts.push(format!(
            "(su.access IN ({holders}) AND a.status = {active})"
        ));
    }
    if query.deactivated {
        let deactivated = binds.text(AccountStatus::Deactivated.as_str());
        parts.push(format!("a.status = {deactivated}"));
    }
    (!parts.is_empty()).then(|| format!("({})", parts.join(" OR ")))
}

fn where_clause(site: SiteId, query: &SiteUserQuery, binds: &mut SqlParams) -> String {
    let mut clause = format!("su.site_id = {}", binds.text(site.to_string()));
    if let Some(states) = states_condition(query, binds) {
        clause.push_str(" AND ");
        clause.push_str(&states);
    }
    if let Some(search) = query.search.as_deref().filter(|s| !s.is_empty()) {
        let pattern = binds.text(contains_pattern(search));
        clause.push_str(&format!(
            " AND (a.email_lower LIKE {pattern} ESCAPE '\\' OR a.display_name_lower LIKE {pattern} ESCAPE '\\')"
        ));
    }
    clause
}

const SITE_USER_FROM: &str = "FROM site_users su JOIN accounts a ON a.id = su.account_id \
     LEFT JOIN verified_domains d ON d.domain = a.email_domain";

fn site_user_row(row: &AnyRow) -> StoreResult<SiteUserRow> {
    Ok(SiteUserRow {
        account: account_columns_from(row, 0)?,
        access: parse_enum(row.try_get::<&str, _>(10)?)?,
        role: parse_enum(row.try_get::<&str, _>(11)?)?,
        created_at: row.try_get(12)?,
        updated_at: row.try_get(13)?,
    })
}

/// A page of a site's users in email order (removed and deactivated ones included unless
/// filtered out: rule 8), and how many match in all.
pub async fn list_site_user_rows(
    conn: &mut AnyConnection,
    site: SiteId,
    query: &SiteUserQuery,
) -> StoreResult<(Vec<SiteUserRow>, i64)> {
    let mut binds = SqlParams::default();
    let clause = where_clause(site, query, &mut binds);
    let count_sql = format!("SELECT COUNT(*) {SITE_USER_FROM} WHERE {clause}");
    let total: i64 = binds
        .bind(sqlx::query(&count_sql))
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let limit = binds.int(query.limit);
    let offset = binds.int(query.offset);
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS}, su.access, su.role, su.created_at, su.updated_at \
         {SITE_USER_FROM} WHERE {clause} ORDER BY a.email_lower, a.id LIMIT {limit} OFFSET {offset}"
    );
    let rows = binds.bind(sqlx::query(&sql)).fetch_all(conn).await?;
    let rows = rows.iter().map(site_user_row).collect::<StoreResult<_>>()?;
    Ok((rows, total))
}

/// The products each of `accounts` gets on `site` from its groups.
pub async fn site_products_of(
    conn: &mut AnyConnection,
    site: SiteId,
    accounts: &[AccountId],
) -> StoreResult<BTreeMap<AccountId, Vec<String>>> {
    let mut out: BTreeMap<AccountId, Vec<String>> = BTreeMap::new();
    // Pages are bounded by the API's page size, far below either backend's bind limit.
    for chunk in accounts.chunks(500) {
        let mut binds = SqlParams::default();
        let site_holder = binds.text(site.to_string());
        let holders: Vec<String> = chunk.iter().map(|a| binds.text(a.to_string())).collect();
        let sql = format!(
            "SELECT DISTINCT m.account_id, g.product FROM group_members m \
             JOIN group_grants g ON g.group_id = m.group_id \
             WHERE g.site_id = {site_holder} AND m.account_id IN ({}) ORDER BY m.account_id, g.product",
            holders.join(", ")
        );
        for row in binds.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await? {
            let account: AccountId = parse_id(row.try_get::<&str, _>(0)?)?;
            out.entry(account).or_default().push(row.try_get(1)?);
        }
    }
    Ok(out)
}

/// The site's own group for `product`, if one was made.
pub async fn site_product_group(
    conn: &mut AnyConnection,
    site: SiteId,
    product: &str,
) -> StoreResult<Option<GroupId>> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT group_id FROM site_product_groups WHERE site_id = $1 AND product = $2",
    )
    .bind(site.to_string())
    .bind(product)
    .fetch_optional(conn)
    .await?;
    id.as_deref().map(parse_id).transpose()
}

pub async fn insert_site_product_group(
    conn: &mut AnyConnection,
    site: SiteId,
    product: &str,
    group: GroupId,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO site_product_groups (site_id, product, group_id) VALUES ($1, $2, $3)")
        .bind(site.to_string())
        .bind(product)
        .bind(group.to_string())
        .execute(conn)
        .await
        .map_err(super::StoreError::from_write)?;
    Ok(())
}

/// Whether a local group of the org already uses this name (names are unique among an
/// org's local groups, case-insensitively).
pub async fn local_group_name_taken(
    conn: &mut AnyConnection,
    org: crate::domain::OrgId,
    name: &str,
) -> StoreResult<bool> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT id FROM org_groups WHERE org_id = $1 AND directory_id IS NULL \
         AND display_name_lower = $2",
    )
    .bind(org.to_string())
    .bind(name.to_lowercase())
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn wildcards_in_searches_are_literal() {
        assert_eq!(contains_pattern("A_b%c\\"), "%a\\_b\\%c\\\\%");
    }
}
