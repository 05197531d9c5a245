//! Site users as admins list them, and the site's own product groups.

use std::collections::BTreeMap;

use super::db::{query, Conn};

use super::accounts::{Account, ACCOUNT_COLUMNS};
use super::db_types::DbUuid;
use super::filter_sql::SqlParams;
use super::sql_params::counted_page;
use super::StoreResult;
use crate::domain::{AccountId, AccountStatus, GroupId, SiteAccess, SiteId, SiteRole};

/// A `LIKE` pattern matching `needle` anywhere, with `%`, `_` and `\` taken literally.
pub(super) fn contains_pattern(needle: &str) -> String {
    format!(
        "%{}%",
        super::sql_params::escape_like(&crate::domain::fold_case(needle))
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
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct SiteUserRow {
    #[sqlx(flatten)]
    pub account: Account,
    #[sqlx(rename = "su_access", try_from = "String")]
    pub access: SiteAccess,
    #[sqlx(rename = "su_role", try_from = "String")]
    pub role: SiteRole,
    #[sqlx(rename = "su_created_at", try_from = "super::db_types::DbTime")]
    pub created_at: i64,
    #[sqlx(rename = "su_updated_at", try_from = "super::db_types::DbTime")]
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
    let mut clause = format!("su.site_id = {}", binds.uuid(site));
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

/// A page of a site's users in email order (removed and deactivated ones included unless
/// filtered out: rule 8), and how many match in all.
pub async fn list_site_user_rows(
    conn: &mut Conn,
    site: SiteId,
    query: &SiteUserQuery,
) -> StoreResult<(Vec<SiteUserRow>, i64)> {
    let mut binds = SqlParams::default();
    let clause = where_clause(site, query, &mut binds);
    let columns = format!(
        "{ACCOUNT_COLUMNS}, su.access AS su_access, su.role AS su_role, \
         su.created_at AS su_created_at, su.updated_at AS su_updated_at"
    );
    counted_page(
        conn,
        binds,
        &columns,
        &format!("{SITE_USER_FROM} WHERE {clause}"),
        "a.email_lower, a.id",
        query.offset,
        query.limit,
    )
    .await
}

/// The products each of `accounts` gets on `site` from its groups.
pub async fn site_products_of(
    conn: &mut Conn,
    site: SiteId,
    accounts: &[AccountId],
) -> StoreResult<BTreeMap<AccountId, Vec<String>>> {
    let mut out: BTreeMap<AccountId, Vec<String>> = BTreeMap::new();
    // Pages are bounded by the API's page size, far below either backend's bind limit.
    for chunk in accounts.chunks(500) {
        let mut binds = SqlParams::default();
        let site_holder = binds.uuid(site);
        let holders: Vec<String> = chunk.iter().map(|a| binds.uuid(*a)).collect();
        let sql = format!(
            "SELECT DISTINCT m.account_id, g.product FROM group_members m \
             JOIN group_grants g ON g.group_id = m.group_id \
             WHERE g.site_id = {site_holder} AND m.account_id IN ({}) ORDER BY m.account_id, g.product",
            holders.join(", ")
        );
        let rows: Vec<(DbUuid, String)> = binds.to_query(&sql).fetch_all(&mut *conn).await?;
        for (account, product) in rows {
            out.entry(account.into()).or_default().push(product);
        }
    }
    Ok(out)
}

/// The site's own group for `product`, if one was made.
pub async fn site_product_group(
    conn: &mut Conn,
    site: SiteId,
    product: &str,
) -> StoreResult<Option<GroupId>> {
    let id: Option<DbUuid> =
        query("SELECT group_id FROM site_product_groups WHERE site_id = $1 AND product = $2")
            .bind(site)
            .bind(product)
            .scalar_optional(conn)
            .await?;
    Ok(id.map(GroupId::from))
}

pub async fn insert_site_product_group(
    conn: &mut Conn,
    site: SiteId,
    product: &str,
    group: GroupId,
) -> StoreResult<()> {
    query("INSERT INTO site_product_groups (site_id, product, group_id) VALUES ($1, $2, $3)")
        .bind(site)
        .bind(product)
        .bind(group)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether a local group of the org already uses this name (names are unique among an
/// org's local groups, case-insensitively).
pub async fn local_group_name_taken(
    conn: &mut Conn,
    org: crate::domain::OrgId,
    name: &str,
) -> StoreResult<bool> {
    let found: Option<DbUuid> = query(
        "SELECT id FROM org_groups WHERE org_id = $1 AND directory_id IS NULL \
         AND display_name_lower = $2",
    )
    .bind(org)
    .bind(crate::domain::fold_case(name))
    .scalar_optional(conn)
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
