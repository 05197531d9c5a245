//! PostgreSQL URLs of databases made for one run (shared by the tests and the benchmark).

/// The URL of database `name` on the server `admin` points at, with `admin`'s options
/// (`?sslmode=require`, say) kept.
pub fn on_same_server(admin: &str, name: &str) -> String {
    let (path, options) = match admin.split_once('?') {
        Some((path, options)) => (path, format!("?{options}")),
        None => (admin, String::new()),
    };
    let server = path.rsplit_once('/').map_or(path, |(server, _)| server);
    format!("{server}/{name}{options}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_is_replaced_and_the_options_kept() {
        assert_eq!(
            super::on_same_server("postgres://u@db:5432/postgres?sslmode=require", "t1"),
            "postgres://u@db:5432/t1?sslmode=require"
        );
        assert_eq!(
            super::on_same_server("postgres://u@db:5432/postgres", "t1"),
            "postgres://u@db:5432/t1"
        );
    }
}
