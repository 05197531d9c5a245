//! What a SCIM User shows but nobody writes: its groups in the directory and the product
//! access its org's groups give it (`entitlements`). Each comes as one JSON column of the
//! user's own statement (a correlated subquery per row, each a few index probes), so a read
//! by id stays one statement and a page of users stays one statement.

use super::filter_sql::{Column, Element, Loc, Multi};
use super::{Backend, StoreError, StoreResult};
use crate::domain::{GroupId, SiteId};

/// Which derived attributes a read fetches: only those the response (or a write's check)
/// needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Derived {
    pub groups: bool,
    pub entitlements: bool,
}

impl Derived {
    pub const ALL: Derived = Derived {
        groups: true,
        entitlements: true,
    };
}

/// A product of one of an org's sites: an Entitlement, and what a User's `entitlements`
/// list.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SiteProduct {
    #[sqlx(try_from = "super::db_types::DbUuid")]
    pub site_id: SiteId,
    pub site_name: String,
    pub product: String,
}

/// The directory's org, from the user row's `du.directory_id`: a primary-key probe.
const DIRECTORY_ORG: &str = "(SELECT dd.org_id FROM directories dd WHERE dd.id = du.directory_id)";

// Neither column sorts or deduplicates in SQL: a subquery's ORDER BY or DISTINCT opens a
// sorter for every row read, most of a lookup's cost in SQLite when a user is in a group or
// two. The handful of elements is ordered (and deduplicated) in Rust instead, byte-wise,
// which is also one order on both backends.

pub(super) fn groups_column(backend: Backend, wanted: bool) -> &'static str {
    match (wanted, backend) {
        (false, _) => "CAST(NULL AS TEXT) AS u_groups",
        (true, Backend::Sqlite) => {
            "(SELECT json_group_array(json_array(g.id, g.display_name, g.display_name_lower)) \
              FROM group_members gm JOIN org_groups g ON g.id = gm.group_id \
              WHERE gm.account_id = a.id AND g.directory_id = du.directory_id) AS u_groups"
        }
        (true, Backend::Postgres) => {
            "(SELECT json_agg(json_build_array(g.id, g.display_name, g.display_name_lower))::text \
              FROM group_members gm JOIN org_groups g ON g.id = gm.group_id \
              WHERE gm.account_id = a.id AND g.directory_id = du.directory_id) AS u_groups"
        }
    }
}

/// Every group of the directory's org counts, local and synced alike: product access is
/// the union of the account's groups' grants (docs/domain.md), and a grant's site always
/// belongs to its group's org. A grant reached through two groups comes twice.
pub(super) fn entitlements_column(backend: Backend, wanted: bool) -> String {
    let granted = format!(
        "FROM group_members gm \
         JOIN org_groups g ON g.id = gm.group_id \
         JOIN group_grants gg ON gg.group_id = g.id \
         JOIN sites s ON s.id = gg.site_id \
         WHERE gm.account_id = a.id AND g.org_id = {DIRECTORY_ORG} AND s.org_id = g.org_id"
    );
    match (wanted, backend) {
        (false, _) => "CAST(NULL AS TEXT) AS u_entitlements".to_owned(),
        (true, Backend::Sqlite) => format!(
            "(SELECT json_group_array(json_array(gg.site_id, s.name, gg.product, s.created_at)) \
             {granted}) AS u_entitlements"
        ),
        (true, Backend::Postgres) => format!(
            "(SELECT json_agg(json_build_array(gg.site_id, s.name, gg.product, \
              CAST(EXTRACT(EPOCH FROM s.created_at) * 1000000 AS BIGINT)))::text \
             {granted}) AS u_entitlements"
        ),
    }
}

/// Both derived columns as one, for PostgreSQL: it starts every subquery of a plan for
/// each row it reads, and a page of 100 users spent about a fifth of its database CPU on
/// the entitlements' one alone. Each element is one membership of the account in a group
/// of the directory's org, with one of that group's grants (or none): the group counts
/// for `groups` when it is the directory's own, the grant for `entitlements`.
pub(super) fn derived_column_postgres() -> String {
    format!(
        "(SELECT json_agg(json_build_array(g.id, g.display_name, g.display_name_lower, \
           COALESCE(g.directory_id = du.directory_id, false), gg.site_id, s.name, gg.product, \
           CAST(EXTRACT(EPOCH FROM s.created_at) * 1000000 AS BIGINT)))::text \
         FROM group_members gm JOIN org_groups g ON g.id = gm.group_id \
         LEFT JOIN group_grants gg ON gg.group_id = g.id \
         LEFT JOIN sites s ON s.id = gg.site_id AND s.org_id = g.org_id \
         WHERE gm.account_id = a.id AND g.org_id = {DIRECTORY_ORG}) AS u_derived"
    )
}

/// A user's groups in its directory (id, display name) and its product access.
pub(super) type GroupsAndProducts = (Vec<(GroupId, String)>, Vec<SiteProduct>);

/// One element of [`derived_column_postgres`].
type DerivedElement = (
    GroupId,
    String,
    String,
    bool,
    Option<SiteId>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// The groups and entitlements of [`derived_column_postgres`], in the order and form
/// [`parse_groups`] and [`parse_entitlements`] give them.
pub(super) fn parse_derived(column: Option<String>) -> StoreResult<GroupsAndProducts> {
    let Some(text) = column else {
        return Ok((Vec::new(), Vec::new()));
    };
    let elements: Vec<DerivedElement> = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("user groups and entitlements: {e}")))?;
    let mut groups = Vec::new();
    let mut grants = Vec::new();
    for (id, name, folded, own, site, site_name, product, created) in elements {
        if own {
            groups.push((id, name, folded));
        }
        if let (Some(site), Some(site_name), Some(product), Some(created)) =
            (site, site_name, product, created)
        {
            grants.push((site, site_name, product, created));
        }
    }
    groups.sort_unstable_by(|a, b| (&a.2, a.0).cmp(&(&b.2, b.0)));
    groups.dedup_by(|a, b| a.0 == b.0);
    Ok((
        groups.into_iter().map(|(id, name, _)| (id, name)).collect(),
        entitlements_in_order(grants),
    ))
}

/// A user's groups in the directory, by display name (folded), then id.
pub(super) fn parse_groups(column: Option<String>) -> StoreResult<Vec<(GroupId, String)>> {
    let Some(text) = column else {
        return Ok(Vec::new());
    };
    let mut groups: Vec<(GroupId, String, String)> = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("user groups: {e}")))?;
    groups.sort_unstable_by(|a, b| (&a.2, a.0).cmp(&(&b.2, b.0)));
    Ok(groups.into_iter().map(|(id, name, _)| (id, name)).collect())
}

/// A user's product access, each once, in the order the org created its sites.
pub(super) fn parse_entitlements(column: Option<String>) -> StoreResult<Vec<SiteProduct>> {
    let Some(text) = column else {
        return Ok(Vec::new());
    };
    let rows: Vec<(SiteId, String, String, i64)> = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("user entitlements: {e}")))?;
    Ok(entitlements_in_order(rows))
}

/// Grants as `(site, site name, product, site created)`, each product once, in the order
/// the org created its sites.
fn entitlements_in_order(mut rows: Vec<(SiteId, String, String, i64)>) -> Vec<SiteProduct> {
    rows.sort_unstable_by(|a, b| (a.3, a.0, &a.2).cmp(&(b.3, b.0, &b.2)));
    rows.dedup_by(|a, b| a.0 == b.0 && a.2 == b.2);
    rows.into_iter()
        .map(|(site_id, site_name, product, _)| SiteProduct {
            site_id,
            site_name,
            product,
        })
        .collect()
}

/// Where a filter finds a user's entitlements: the same grants as the column above.
pub(super) fn entitlements_location() -> Loc {
    Loc::Multi(Multi {
        from_where: format!(
            "FROM group_members egm JOIN org_groups eg ON eg.id = egm.group_id \
             JOIN group_grants egg ON egg.group_id = eg.id \
             WHERE egm.account_id = a.id AND eg.org_id = {DIRECTORY_ORG}"
        ),
        element: Element::Columns(ENTITLEMENT_ELEMENT),
    })
}

// Site ids and product keys are lower-case, so the value is its own folded form.
const ENTITLEMENT_ELEMENT: &[(&str, Column)] = &[
    (
        "value",
        Column::Folded("(egg.site_id || ':' || egg.product)"),
    ),
    ("type", Column::Folded("'product'")),
];

/// The products of the org's sites, in site creation order: one statement.
pub async fn list_org_site_products(
    conn: &mut super::Conn,
    org: crate::domain::OrgId,
) -> StoreResult<Vec<SiteProduct>> {
    site_products(conn, org, None).await
}

/// One product of one of the org's sites; another org's site is none.
pub async fn get_org_site_product(
    conn: &mut super::Conn,
    org: crate::domain::OrgId,
    site: SiteId,
    product: &str,
) -> StoreResult<Option<SiteProduct>> {
    Ok(site_products(conn, org, Some((site, product)))
        .await?
        .into_iter()
        .next())
}

async fn site_products(
    conn: &mut super::Conn,
    org: crate::domain::OrgId,
    only: Option<(SiteId, &str)>,
) -> StoreResult<Vec<SiteProduct>> {
    const SELECT: &str = "SELECT s.id AS site_id, s.name AS site_name, sp.product FROM sites s \
                          JOIN site_products sp ON sp.site_id = s.id WHERE s.org_id = $1";
    Ok(match only {
        None => {
            super::db::query(&format!("{SELECT} ORDER BY s.created_at, s.id, sp.product"))
                .bind(org)
                .fetch_all(conn)
                .await?
        }
        Some((site, product)) => {
            super::db::query(&format!("{SELECT} AND s.id = $2 AND sp.product = $3"))
                .bind(org)
                .bind(site)
                .bind(product)
                .fetch_all(conn)
                .await?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "00000000-0000-4000-8000-00000000000a";
    const B: &str = "00000000-0000-4000-8000-00000000000b";

    #[test]
    fn groups_come_by_folded_name_then_id() {
        let column =
            format!(r#"[["{B}","beta","beta"],["{B}","Alpha","alpha"],["{A}","ALPHA","alpha"]]"#);
        let groups = parse_groups(Some(column)).unwrap();
        let names: Vec<(String, &str)> = groups
            .iter()
            .map(|(id, name)| (id.to_string(), name.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                (A.to_owned(), "ALPHA"),
                (B.to_owned(), "Alpha"),
                (B.to_owned(), "beta")
            ]
        );
        assert!(parse_groups(None).unwrap().is_empty());
    }

    #[test]
    fn entitlements_come_once_each_in_site_creation_order() {
        // Site B was created first; a grant reached through two groups appears twice.
        let column = format!(
            r#"[["{A}","Site A","wiki",20],["{B}","Site B","chat",10],
                ["{A}","Site A","docs",20],["{A}","Site A","wiki",20]]"#
        );
        let products: Vec<(String, String)> = parse_entitlements(Some(column))
            .unwrap()
            .into_iter()
            .map(|p| (p.site_name, p.product))
            .collect();
        let expected = [("Site B", "chat"), ("Site A", "docs"), ("Site A", "wiki")];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(s, p)| (s.to_string(), p.to_string()))
            .collect();
        assert_eq!(products, expected);
    }
}
