//! `Debug` for records that hold secrets (keys, credentials, tokens).

/// `Debug` that shows only the fields named and `..` for the rest, which hold secrets that
/// must never reach a log.
macro_rules! debug_only {
    ($ty:ident { $($field:ident),+ $(,)? }) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))+
                    .finish_non_exhaustive()
            }
        }
    };
}
pub(crate) use debug_only;
