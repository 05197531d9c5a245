-- Case-insensitive filters and sorts over JSON-held text fold it with scimd_fold, the same
-- mapping as the Rust code that folds filter values and shadow columns (Unicode's full
-- lower-case mapping, language-neutral). lower() alone would follow the database's locale
-- (under the C locale it folds only ASCII, under glibc's it maps İ to i, not i + U+0307);
-- ICU's root locale does not depend on it. Needs PostgreSQL built with ICU (the official
-- packages and images are).
CREATE OR REPLACE FUNCTION scimd_fold(t TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(t COLLATE "und-x-icu") $$;
