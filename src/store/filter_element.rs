//! The sub-attributes of multi-valued attributes (`emails.type`, `members.value`): where
//! each is found in one element's row, mostly as a constant table per attribute.

use crate::scim::schema::def::AttributeDef;

use super::filter_sql::Loc;
use super::sql_params::SqlParams;
use super::Backend;

/// Where each sub-attribute of a multi-valued attribute lives in one element's row.
#[derive(Clone, Copy, Debug)]
pub enum Element {
    /// Columns of the element's row, by sub-attribute name; the sub-attributes not named
    /// cannot be filtered on.
    Columns(&'static [(&'static str, Column)]),
    /// Found by a function: JSON elements, whose form depends on the backend.
    Locate(fn(&AttributeDef, Backend, &mut SqlParams) -> Option<Loc>),
}

/// A column (or SQL expression) of an element's row, as a constant table names it.
#[derive(Clone, Copy, Debug)]
pub enum Column {
    /// Text already folded by [`crate::domain::fold_case`]: a shadow column, or an
    /// expression that is lower-case anyway.
    Folded(&'static str),
    Uuid(&'static str),
    Flag(&'static str),
}

impl Element {
    pub(super) fn locate(
        self,
        sub: &AttributeDef,
        backend: Backend,
        params: &mut SqlParams,
    ) -> Option<Loc> {
        let columns = match self {
            Element::Columns(columns) => columns,
            Element::Locate(locate) => return locate(sub, backend, params),
        };
        let (_, column) = columns.iter().find(|(name, _)| *name == sub.name)?;
        Some(match *column {
            Column::Folded(expr) => Loc::Text {
                expr: expr.into(),
                folded: true,
            },
            Column::Uuid(expr) => Loc::Uuid { expr: expr.into() },
            Column::Flag(expr) => Loc::BoolColumn { expr: expr.into() },
        })
    }
}
