//! The one door to the database. Every statement goes through [`Query`], which binds its
//! values and runs them on sqlx's native SQLite or PostgreSQL driver (never `Any`), decodes
//! rows by column name through `FromRow`, and counts itself, so that a request's statement
//! budget can be measured and enforced.

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, PgConnection, Postgres, Sqlite, SqliteConnection};

use super::conn_pool::{settled, PgTx, Pooling};
use super::inline_reads::InlineRow;
use super::{StoreError, StoreResult};

pub use super::db_params::{IntoParam, NullParam, Param, Time};
pub(super) use super::statement_count::{count_for_request, count_statements, count_transaction};
pub use super::statement_count::{counting, total_statements, Counts};
pub use super::tx::Tx;
pub(super) use super::tx::{committed, Changed};

/// A row type both backends can decode.
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

/// A database connection: pooled, or inside a transaction ([`Tx`] derefs to it).
pub struct Conn {
    pub(super) handle: Handle,
    /// What the transaction's statements changed that the commit must tell this process.
    pub(super) changed: Changed,
    /// Audit entries of this transaction, written in one statement at commit (or before
    /// anything in the transaction reads the log), with `pending_provisioning`.
    pub(super) pending_audit: Vec<super::audit::PendingAudit>,
    /// The provisioning entry of a SCIM write, written with the audit entries.
    pub(super) pending_provisioning: Vec<super::provisioning_log::NewProvisioningEntry>,
    /// A guarded write sent with the commit (`hold_for_commit`).
    pub(super) deferred: Option<super::deferred::HeldWrite>,
    /// A statement that may write ran on the connection (a commit may carry the held write
    /// only if none did: its failed guard would otherwise leave their changes).
    pub(super) wrote: bool,
    /// On a SQLite read outside a transaction: the store's inline readers.
    pub(super) inline: Option<std::sync::Arc<super::inline_reads::InlineReaders>>,
    /// PostgreSQL: the account whose row a transaction that has not begun locks as it
    /// begins (`lock_account_when_begun`).
    pub(super) lock_on_begin: Option<crate::domain::AccountId>,
}

pub(super) enum Handle {
    Sqlite(Pooling<SqliteConnection>),
    /// A SQLite read that takes a reader from the pool at its first statement through sqlx.
    SqliteUntaken(super::conn_pool::Pool<SqliteConnection>),
    Postgres(Pooling<PgConnection>),
    PostgresTx(PgTx),
    SqliteBatch(super::group_commit::Member),
    /// A SQLite write transaction that takes the writer at its first statement.
    SqliteWaiting(super::group_commit::Intent),
    /// Left while a handle changes (a waiting transaction taking the writer, which failed):
    /// no statement runs on it.
    Closed,
    /// A transaction (or read) of a bulk session: a savepoint in the session's chunk.
    Nested(Box<super::bulk::Nested>),
}

/// The native connection underneath, for the one match each statement makes.
pub(super) enum Native<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

impl Conn {
    pub(super) fn new(handle: Handle) -> Self {
        Conn {
            handle,
            changed: Changed::default(),
            pending_audit: Vec::new(),
            pending_provisioning: Vec::new(),
            deferred: None,
            wrote: false,
            lock_on_begin: None,
            inline: None,
        }
    }

    /// Marks that `sql` runs, taking SQLite's writer first if the transaction has not;
    /// none may run once a write waits for the commit.
    async fn start_statement(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        if self.deferred.is_some() {
            return Err(sqlx::Error::Protocol(
                "no statement may follow a write held for the commit".to_owned(),
            ));
        }
        self.take_writer().await?;
        // A text that starts with SELECT writes nothing; anything else may.
        let reads = sql.trim_start().get(..6);
        self.wrote |= !reads.is_some_and(|word| word.eq_ignore_ascii_case("SELECT"));
        Ok(())
    }

    /// Takes SQLite's one writer for a transaction that has not yet, or a reader for a
    /// read that has not; begins a PostgreSQL transaction that has not.
    pub(super) async fn take_writer(&mut self) -> Result<(), sqlx::Error> {
        if let Handle::PostgresTx(tx) = &mut self.handle {
            if tx.begun() {
                return Ok(());
            }
            tx.ensure_begun().await?;
            if let Some(account) = self.lock_on_begin.take() {
                let lock = super::accounts::LOCK_ACCOUNT;
                count_statements(lock);
                let outcome = sqlx::query(lock)
                    .bind(account.as_uuid())
                    .execute(&mut tx.pooled().conn)
                    .await;
                tx.pooled().suspect = !settled(&outcome);
                outcome?;
            }
            return Ok(());
        }
        let waiting = std::mem::replace(&mut self.handle, Handle::Closed);
        self.handle = match waiting {
            Handle::SqliteWaiting(intent) => {
                count_transaction();
                Handle::SqliteBatch(intent.begin().await?)
            }
            Handle::SqliteUntaken(pool) => Handle::Sqlite(super::conn_pool::get(&pool).await?),
            other => other,
        };
        Ok(())
    }

    /// A PostgreSQL transaction that never began becomes a plain connection, on which
    /// each statement commits as it runs.
    pub(super) fn leave_transaction(&mut self) {
        let handle = std::mem::replace(&mut self.handle, Handle::Closed);
        self.handle = match handle {
            Handle::PostgresTx(tx) => match tx.into_unbegun_connection() {
                Ok(conn) => Handle::Postgres(conn),
                Err(tx) => Handle::PostgresTx(tx),
            },
            other => other,
        };
    }

    /// The inline readers, on a SQLite read outside a transaction.
    fn inline_readers(&self) -> Option<std::sync::Arc<super::inline_reads::InlineReaders>> {
        match self.handle {
            Handle::Sqlite(_) | Handle::SqliteUntaken(_) => self.inline.clone(),
            _ => None,
        }
    }

    /// Something waits for the commit: a held write or journal entries.
    pub(super) fn leaves_to_commit(&self) -> bool {
        self.deferred.is_some()
            || !self.pending_audit.is_empty()
            || !self.pending_provisioning.is_empty()
    }

    pub(super) fn in_transaction(&self) -> bool {
        matches!(
            self.handle,
            Handle::PostgresTx(_)
                | Handle::SqliteBatch(_)
                | Handle::SqliteWaiting(_)
                | Handle::Nested(_)
        )
    }

    pub(super) fn mark_tokens_changed(&mut self) {
        self.changed.tokens = true;
    }

    pub(super) fn mark_users_changed(&mut self) {
        self.changed.users = true;
    }

    /// The native connection for one statement. A pooled one stays suspect until
    /// [`Conn::settle`] hears how the statement ended: if the request is cancelled first,
    /// the pool tests the connection before anyone uses it again.
    pub(super) fn native(&mut self) -> Result<Native<'_>, sqlx::Error> {
        Ok(match &mut self.handle {
            Handle::Sqlite(c) => {
                c.suspect = true;
                Native::Sqlite(&mut c.conn)
            }
            Handle::Postgres(c) => {
                c.suspect = true;
                Native::Postgres(&mut c.conn)
            }
            Handle::PostgresTx(t) => {
                let pooled = t.pooled();
                pooled.suspect = true;
                Native::Postgres(&mut pooled.conn)
            }
            Handle::SqliteBatch(m) => Native::Sqlite(m.connection()),
            Handle::Nested(n) => n.native()?,
            // `start_statement` took the writer (or reader) before any statement.
            Handle::SqliteWaiting(_) | Handle::SqliteUntaken(_) | Handle::Closed => {
                return Err(sqlx::Error::PoolClosed)
            }
        })
    }

    /// Clears the doubt [`Conn::native`] cast, unless the statement failed on the
    /// connection itself.
    pub(super) fn settle<T>(&mut self, outcome: sqlx::Result<T>) -> sqlx::Result<T> {
        if settled(&outcome) {
            match &mut self.handle {
                Handle::Sqlite(c) => c.suspect = false,
                Handle::Postgres(c) => c.suspect = false,
                Handle::PostgresTx(t) => t.pooled().suspect = false,
                Handle::SqliteBatch(_)
                | Handle::SqliteWaiting(_)
                | Handle::SqliteUntaken(_)
                | Handle::Closed
                | Handle::Nested(_) => {}
            }
        }
        outcome
    }

    pub fn backend(&self) -> super::Backend {
        match &self.handle {
            Handle::Sqlite(_)
            | Handle::SqliteUntaken(_)
            | Handle::SqliteBatch(_)
            | Handle::SqliteWaiting(_)
            | Handle::Closed => super::Backend::Sqlite,
            Handle::Postgres(_) | Handle::PostgresTx(_) => super::Backend::Postgres,
            Handle::Nested(n) => n.backend(),
        }
    }
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Conn").field(&self.backend()).finish()
    }
}

/// A statement and its bound values.
#[must_use = "a query does nothing until it is executed"]
pub struct Query<'q> {
    sql: &'q str,
    params: Vec<Param>,
}

/// Starts a statement; values are bound in `$N` order.
pub fn query(sql: &str) -> Query<'_> {
    Query {
        sql,
        params: Vec::new(),
    }
}

/// `$first, $first+1, ...`: `count` placeholders for an `IN (...)` list whose values are
/// bound after the statement's `first - 1` fixed ones.
pub fn placeholder_list(first: usize, count: usize) -> String {
    let list: Vec<String> = (first..first + count).map(|n| format!("${n}")).collect();
    list.join(", ")
}

/// A statement whose values were collected beforehand (by the filter compiler).
pub fn query_with(sql: &str, params: Vec<Param>) -> Query<'_> {
    Query { sql, params }
}

// SQLite keeps ids as hyphenated text, JSON as text, flags as 0/1 and times as integer
// microseconds; PostgreSQL gets uuid, jsonb, boolean and timestamptz.
macro_rules! bind_all {
    ($q:expr, $params:expr, sqlite) => {{
        let mut q = $q;
        for p in $params {
            q = match p {
                Param::Text(s) | Param::Json(s) => q.bind(s),
                Param::Int(i) | Param::Time(i) => q.bind(i),
                Param::Float(f) => q.bind(f),
                Param::Uuid(u) => q.bind(u.hyphenated().to_string()),
                Param::Bool(b) => q.bind(i64::from(b)),
                Param::NullText | Param::NullUuid | Param::NullJson => q.bind(None::<String>),
                Param::NullInt | Param::NullBool | Param::NullTime => q.bind(None::<i64>),
            };
        }
        q
    }};
    ($q:expr, $params:expr, postgres) => {{
        let mut q = $q;
        for p in $params {
            q = match p {
                Param::Text(s) => q.bind(s),
                Param::Int(i) => q.bind(i),
                Param::Float(f) => q.bind(f),
                Param::Uuid(u) => q.bind(u),
                Param::Json(s) => q.bind(super::db_types::PgJsonb(s)),
                Param::Bool(b) => q.bind(b),
                Param::Time(us) => q.bind(super::from_micros(us)),
                Param::NullText => q.bind(None::<String>),
                Param::NullInt => q.bind(None::<i64>),
                Param::NullUuid => q.bind(None::<uuid::Uuid>),
                Param::NullJson => q.bind(None::<super::db_types::PgJsonb>),
                Param::NullBool => q.bind(None::<bool>),
                Param::NullTime => q.bind(None::<time::OffsetDateTime>),
            };
        }
        q
    }};
}

/// The one match each statement makes: sqlx's `$build` (`query`, `query_as::<T>`) for the
/// connection's backend, bound, then `$run` on the connection (and, after `=>`, a method of
/// its result, where the backends' result types differ). A macro, because each backend's
/// builder is another type.
// Runs the statement on the connection's native driver; the outcome settles the
// connection's standing in its pool (see `Conn::settle`).
macro_rules! on_native {
    ($conn:expr, $this:expr, $build:ident $(::<$t:ty>)?, $run:ident $(=> $then:ident)?) => {{
        let outcome = match $conn.native() {
            Err(err) => Err(err),
            Ok(Native::Sqlite(c)) => {
                bind_all!(sqlx::$build::<Sqlite $(, $t)?>($this.sql), $this.params, sqlite)
                    .$run(c)
                    .await $(.map(|done| done.$then()))?
            }
            Ok(Native::Postgres(c)) => {
                bind_all!(sqlx::$build::<Postgres $(, $t)?>($this.sql), $this.params, postgres)
                    .$run(c)
                    .await $(.map(|done| done.$then()))?
            }
        };
        $conn.settle(outcome)
    }};
}

impl<'q> Query<'q> {
    pub fn bind(mut self, value: impl IntoParam) -> Self {
        self.params.push(value.into_param());
        self
    }

    /// Counts the statement and binds exactly the values its text refers to.
    ///
    /// PostgreSQL prepares a statement with as many parameters as were bound the first time
    /// its text was seen, and sqlx caches it by text on the connection. A builder that left
    /// an unreferenced value at the end (a count reusing a page's values) would make the same
    /// text arrive later with another number of values, failing on that connection. Binding
    /// `$1..=$N` for the highest `$N` in the text makes one text always one parameter list.
    fn checked(mut self) -> Result<Self, sqlx::Error> {
        let wanted = super::sql_params::highest_placeholder(self.sql);
        if self.params.len() < wanted {
            return Err(sqlx::Error::Protocol(format!(
                "statement refers to ${wanted} but {} values are bound",
                self.params.len()
            )));
        }
        self.params.truncate(wanted);
        count_statements(self.sql);
        Ok(self)
    }

    /// Runs a statement that returns no rows; the number of rows it changed.
    pub async fn execute(self, conn: &mut Conn) -> Result<u64, sqlx::Error> {
        conn.start_statement(self.sql).await?;
        let this = self.checked()?;
        on_native!(conn, this, query, execute => rows_affected)
    }

    /// [`Query::execute`], followed in the same text (one round trip, SQLite only) by
    /// `control`: transaction control, which binds nothing and is not counted.
    pub(super) async fn execute_then(
        self,
        conn: &mut Conn,
        control: &str,
    ) -> Result<u64, sqlx::Error> {
        conn.start_statement(self.sql).await?;
        let this = self.checked()?;
        let sql = format!("{}; {control}", this.sql);
        let this = Query {
            sql: &sql,
            params: this.params,
        };
        on_native!(conn, this, query, execute => rows_affected)
    }

    pub async fn fetch_all<T: Record>(self, conn: &mut Conn) -> Result<Vec<T>, sqlx::Error> {
        conn.start_statement(self.sql).await?;
        let this = self.checked()?;
        on_native!(conn, this, query_as::<T>, fetch_all)
    }

    /// [`Query::fetch_all`] for a statement an index bounds (a lookup): on a SQLite read
    /// outside a transaction, stepped on this thread (`inline_reads`).
    pub(super) async fn fetch_all_inline<T: Record + InlineRow>(
        self,
        conn: &mut Conn,
    ) -> Result<Vec<T>, sqlx::Error> {
        let Some(readers) = conn.inline_readers() else {
            return self.fetch_all(conn).await;
        };
        let this = self.checked()?;
        if let Some(rows) = readers.fetch_all(this.sql, &this.params) {
            return rows;
        }
        // Locked: sqlx's reader waits for it on its own thread. Counted already.
        conn.start_statement(this.sql).await?;
        on_native!(conn, this, query_as::<T>, fetch_all)
    }

    /// [`Query::fetch_optional`] for a statement an index bounds (see `fetch_all_inline`).
    pub(super) async fn fetch_optional_inline<T: Record + InlineRow>(
        self,
        conn: &mut Conn,
    ) -> Result<Option<T>, sqlx::Error> {
        Ok(self.fetch_all_inline(conn).await?.into_iter().next())
    }

    pub async fn fetch_optional<T: Record>(
        self,
        conn: &mut Conn,
    ) -> Result<Option<T>, sqlx::Error> {
        conn.start_statement(self.sql).await?;
        let this = self.checked()?;
        on_native!(conn, this, query_as::<T>, fetch_optional)
    }

    pub async fn fetch_one<T: Record>(self, conn: &mut Conn) -> Result<T, sqlx::Error> {
        self.fetch_optional(conn)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// The first column of every row, read as a one-column record.
    pub async fn scalars<T>(self, conn: &mut Conn) -> Result<Vec<T>, sqlx::Error>
    where
        (T,): Record,
    {
        let rows: Vec<(T,)> = self.fetch_all(conn).await?;
        Ok(rows.into_iter().map(|(value,)| value).collect())
    }

    /// The first column of the first row, if any.
    pub async fn scalar_optional<T>(self, conn: &mut Conn) -> Result<Option<T>, sqlx::Error>
    where
        (T,): Record,
    {
        let row: Option<(T,)> = self.fetch_optional(conn).await?;
        Ok(row.map(|(value,)| value))
    }

    /// The first column of the one row the statement must return.
    pub async fn scalar<T>(self, conn: &mut Conn) -> Result<T, sqlx::Error>
    where
        (T,): Record,
    {
        self.scalar_optional(conn)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// Every row, read as its stored form `R` and converted to the store's type `T` (a
    /// corrupt row fails the whole read).
    pub async fn fetch_all_into<R: Record, T: TryFrom<R, Error = StoreError>>(
        self,
        conn: &mut Conn,
    ) -> StoreResult<Vec<T>> {
        let rows: Vec<R> = self.fetch_all(conn).await?;
        rows.into_iter().map(T::try_from).collect()
    }

    /// The first row, if any, read as `R` and converted to `T`.
    pub async fn fetch_optional_into<R: Record, T: TryFrom<R, Error = StoreError>>(
        self,
        conn: &mut Conn,
    ) -> StoreResult<Option<T>> {
        let row: Option<R> = self.fetch_optional(conn).await?;
        row.map(T::try_from).transpose()
    }

    /// The ids in the first column of every row.
    pub async fn ids(self, conn: &mut Conn) -> Result<Vec<uuid::Uuid>, sqlx::Error> {
        let ids: Vec<super::db_types::DbUuid> = self.scalars(conn).await?;
        Ok(ids.into_iter().map(uuid::Uuid::from).collect())
    }

    /// Runs a statement that addresses one row by its key; true if it changed that row.
    pub async fn changed_one(self, conn: &mut Conn) -> Result<bool, sqlx::Error> {
        Ok(self.execute(conn).await? == 1)
    }

    /// Binds each value in turn (the members of an `IN (...)` list).
    pub fn bind_each<V: IntoParam>(self, values: impl IntoIterator<Item = V>) -> Self {
        values
            .into_iter()
            .fold(self, |query, value| query.bind(value))
    }
}
