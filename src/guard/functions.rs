//! Which functions a guarded query may call, per dialect.
//!
//! Two tables decide: a denylist of dangerous functions, each with the reason a
//! rejection states, and an allowlist of harmless built-ins a report query uses
//! (aggregates, window functions, string, math, date/time, conditional, JSON).
//! A call passes only if it is not denied and it is allowed.
//!
//! Invariants:
//! - Names compare case-insensitively by their last part, so
//!   `pg_catalog.PG_SLEEP` is denied like `pg_sleep`.
//! - The denylist wins over everything and applies in every dialect; the
//!   allowlist is the common list plus the dialect's own list.
//! - Only built-ins pass the allowlist: a schema-qualified call passes only as
//!   `pg_catalog.f` in PostgreSQL, and a quoted PostgreSQL name only in its
//!   exact lower-case spelling (`"Count"` is a user function, not `count`).
//! - No name is on both lists, and every entry is lower case (unit-tested).

use sqlparser::ast::{ObjectName, ObjectNamePart};

use super::GuardError;
use crate::dialect::Dialect;

/// Dangerous functions, grouped by the reason a rejection states. A pattern
/// is an exact name, `prefix*`, `*suffix` or `*infix*`.
#[rustfmt::skip]
const DENIED: &[(&str, &[&str])] = &[
    ("it can stall the server", &["pg_sleep*", "sleep", "benchmark", "master_pos_wait", "source_pos_wait"]),
    ("it reads files on the server", &[
        "pg_read_file", "pg_read_binary_file", "pg_ls_*", "pg_stat_file", "load_file", "readfile", "fsdir", "zipfile",
    ]),
    ("it writes files on the server", &["writefile", "edit", "pg_file_*"]),
    ("it reads or writes server files and large objects", &["lo_*"]),
    ("it connects to another server", &["dblink*"]),
    ("it changes server settings", &["set_config", "pg_reload_conf", "pg_rotate_logfile"]),
    ("it reads server configuration", &["current_setting"]),
    ("it stops other sessions", &["pg_terminate_backend", "pg_cancel_backend"]),
    ("it takes locks", &["pg_advisory*", "pg_try_advisory*", "get_lock", "release_lock", "release_all_locks"]),
    ("it runs SQL given as text or dumps whole tables", &["*_to_xml*"]),
    ("it loads native code", &["load_extension"]),
    ("it writes a sequence", &["nextval", "setval"]),
    ("it assigns a transaction id", &["txid_current", "pg_current_xact_id"]),
    ("it runs an operating-system command", &["sys_exec", "sys_eval"]),
    ("it sends notifications", &["pg_notify"]),
    ("it changes server state", &["pg_stat_reset*", "pg_switch_wal", "pg_create_*", "pg_drop_*", "pg_promote"]),
    ("it can read or corrupt process memory", &["fts3_tokenizer"]),
];

/// Harmless built-ins every dialect (or most of them) provides. A name absent
/// from one dialect is still safe there: the database rejects it.
#[rustfmt::skip]
const COMMON: &[&str] = &[
    // aggregates
    "count", "sum", "avg", "min", "max",
    // window functions
    "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value",
    "last_value", "nth_value",
    // conditional
    "coalesce", "nullif",
    // string
    "lower", "upper", "length", "char_length", "character_length", "octet_length", "substr", "substring", "trim",
    "ltrim", "rtrim", "replace", "concat", "concat_ws", "left", "right", "lpad", "rpad", "reverse", "repeat",
    "position",
    // math
    "abs", "round", "sign", "mod", "power", "pow", "sqrt", "exp", "ln", "log", "log10", "log2", "ceil", "ceiling",
    "floor", "pi", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "degrees", "radians", "trunc",
    "greatest", "least",
    // date and time
    "current_date", "current_time", "current_timestamp", "localtime", "localtimestamp", "now",
];

/// SQLite's own built-ins (core, date/time and JSON functions).
#[rustfmt::skip]
const SQLITE: &[&str] = &[
    "strftime", "date", "time", "datetime", "julianday", "unixepoch", "timediff",
    "ifnull", "iif", "instr", "printf", "format", "char", "unicode", "hex", "quote", "typeof", "glob", "like",
    "likely", "unlikely", "likelihood", "random",
    "group_concat", "string_agg", "total",
    "json", "json_extract", "json_array", "json_object", "json_array_length", "json_type", "json_valid",
    "json_quote", "json_group_array", "json_group_object", "json_each", "json_tree",
];

/// PostgreSQL's own built-ins, set-returning table functions included.
#[rustfmt::skip]
const POSTGRES: &[&str] = &[
    // date and time
    "date_trunc", "date_part", "date_bin", "extract", "to_char", "to_date", "to_timestamp", "to_number", "age",
    "make_date", "make_time", "make_timestamp", "make_timestamptz", "make_interval", "justify_days",
    "justify_hours", "justify_interval", "isfinite", "clock_timestamp", "statement_timestamp",
    "transaction_timestamp",
    // string
    "split_part", "strpos", "initcap", "btrim", "chr", "ascii", "to_hex", "md5", "translate", "starts_with",
    "format", "bit_length", "regexp_replace", "regexp_match", "regexp_matches", "regexp_split_to_array",
    "regexp_split_to_table", "regexp_count", "regexp_like", "regexp_substr", "string_to_array",
    "string_to_table", "array_to_string",
    // math
    "div", "cbrt", "random", "width_bucket", "gcd", "lcm", "factorial", "scale",
    // aggregates
    "string_agg", "array_agg", "bool_and", "bool_or", "every", "stddev", "stddev_pop", "stddev_samp",
    "variance", "var_pop", "var_samp", "corr", "covar_pop", "covar_samp", "percentile_cont", "percentile_disc",
    "mode", "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg",
    // conditional and types
    "num_nulls", "num_nonnulls", "pg_typeof",
    // arrays and set-returning functions
    "array_length", "cardinality", "array_position", "array_positions", "unnest", "generate_series",
    "generate_subscripts",
    // JSON
    "to_json", "to_jsonb", "row_to_json", "json_build_object", "jsonb_build_object", "json_build_array",
    "jsonb_build_array", "json_extract_path", "json_extract_path_text", "jsonb_extract_path",
    "jsonb_extract_path_text", "json_array_length", "jsonb_array_length", "json_typeof", "jsonb_typeof",
    "json_each", "json_each_text", "jsonb_each", "jsonb_each_text", "json_array_elements",
    "json_array_elements_text", "jsonb_array_elements", "jsonb_array_elements_text", "jsonb_pretty",
];

/// MySQL's and MariaDB's own built-ins.
#[rustfmt::skip]
const MYSQL: &[&str] = &[
    // date and time
    "year", "month", "day", "dayofmonth", "dayofweek", "dayofyear", "dayname", "monthname", "week", "weekday",
    "weekofyear", "yearweek", "quarter", "hour", "minute", "second", "date", "time", "date_format",
    "time_format", "str_to_date", "date_add", "date_sub", "adddate", "subdate", "datediff", "timediff",
    "timestampdiff", "timestampadd", "last_day", "makedate", "curdate", "curtime", "sysdate", "utc_date",
    "utc_time", "utc_timestamp", "unix_timestamp", "from_unixtime", "to_days", "from_days", "extract",
    "convert_tz",
    // string
    "locate", "instr", "format", "substring_index", "field", "find_in_set", "elt", "lcase", "ucase", "mid",
    "space", "strcmp", "hex", "char", "ascii", "md5", "regexp_replace", "regexp_substr", "regexp_like",
    "regexp_instr",
    // conditional
    "if", "ifnull", "isnull",
    // math
    "truncate", "rand", "crc32", "conv",
    // aggregates
    "group_concat", "bit_and", "bit_or", "bit_xor", "std", "stddev", "stddev_pop", "stddev_samp", "variance",
    "var_pop", "var_samp",
    // JSON
    "json_extract", "json_unquote", "json_object", "json_array", "json_arrayagg", "json_objectagg",
    "json_length", "json_contains", "json_keys", "json_valid", "json_type",
];

/// Accepts a call of the function `name` in `dialect`, or says why not.
pub(super) fn check_function(dialect: Dialect, name: &ObjectName) -> Result<(), GuardError> {
    let Some(last) = name.0.last().and_then(ObjectNamePart::as_ident) else {
        return Err(GuardError::new(format!("function name {name} is not allowed")));
    };
    let folded = last.value.to_ascii_lowercase();
    if let Some(reason) = denial_reason(&folded) {
        return Err(GuardError::new(format!("function {name} is not allowed: {reason}")));
    }
    if !qualifier_is_builtin(dialect, &name.0[..name.0.len() - 1]) {
        return Err(GuardError::new(format!(
            "function {name} is not on the allowlist: only built-in functions may be called{}",
            if dialect == Dialect::Postgres { ", unqualified or as pg_catalog.f" } else { ", unqualified" }
        )));
    }
    // PostgreSQL folds only unquoted names: a quoted "Count" is a different, user-defined function.
    let key = if dialect == Dialect::Postgres && last.quote_style.is_some() { &last.value } else { &folded };
    if is_allowed(dialect, key) {
        Ok(())
    } else {
        Err(GuardError::new(format!("function {name} is not on the allowlist")))
    }
}

/// The reason a lower-case function name is denied, if it is.
fn denial_reason(name: &str) -> Option<&'static str> {
    DENIED.iter().find(|(_, patterns)| patterns.iter().any(|p| pattern_matches(p, name))).map(|(reason, _)| *reason)
}

/// Whether `pattern` (an exact name, `prefix*`, `*suffix` or `*infix*`) matches `name`.
fn pattern_matches(pattern: &str, name: &str) -> bool {
    let (open_start, rest) = match pattern.strip_prefix('*') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let (open_end, core) = match rest.strip_suffix('*') {
        Some(core) => (true, core),
        None => (false, rest),
    };
    match (open_start, open_end) {
        (false, false) => name == core,
        (false, true) => name.starts_with(core),
        (true, false) => name.ends_with(core),
        (true, true) => name.contains(core),
    }
}

/// Whether the schema part of a function name can only name a built-in.
fn qualifier_is_builtin(dialect: Dialect, qualifier: &[ObjectNamePart]) -> bool {
    match qualifier {
        [] => true,
        [ObjectNamePart::Identifier(schema)] => {
            let names_pg_catalog = match schema.quote_style {
                None => schema.value.eq_ignore_ascii_case("pg_catalog"),
                Some(_) => schema.value == "pg_catalog",
            };
            dialect == Dialect::Postgres && names_pg_catalog
        }
        _ => false,
    }
}

fn is_allowed(dialect: Dialect, name: &str) -> bool {
    COMMON.contains(&name) || dialect_allowlist(dialect).contains(&name)
}

fn dialect_allowlist(dialect: Dialect) -> &'static [&'static str] {
    match dialect {
        Dialect::Sqlite => SQLITE,
        Dialect::Postgres => POSTGRES,
        Dialect::MySql => MYSQL,
    }
}

#[cfg(test)]
mod tests {
    use sqlparser::ast::Ident;

    use super::*;

    const ALL: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql];

    fn name(parts: &[&str]) -> ObjectName {
        ObjectName(parts.iter().map(|p| ObjectNamePart::Identifier(Ident::new(*p))).collect())
    }

    fn reason(dialect: Dialect, parts: &[&str]) -> Option<String> {
        check_function(dialect, &name(parts)).err().map(|e| e.reason)
    }

    #[test]
    fn patterns_match_exactly_or_by_prefix_suffix_and_infix() {
        assert!(pattern_matches("sleep", "sleep"));
        assert!(!pattern_matches("sleep", "sleepy"));
        assert!(pattern_matches("pg_sleep*", "pg_sleep_for"));
        assert!(pattern_matches("*_to_xml*", "query_to_xml_and_xmlschema"));
        assert!(pattern_matches("*_to_xml*", "table_to_xml"));
        assert!(!pattern_matches("lo_*", "lower"));
        assert!(!pattern_matches("lo_*", "log"));
    }

    #[test]
    fn lists_are_lower_case_disjoint_and_without_repeats() {
        for dialect in ALL {
            let specific = dialect_allowlist(dialect);
            for entry in COMMON.iter().chain(specific) {
                assert_eq!(*entry, entry.to_ascii_lowercase(), "{entry} must be lower case");
                assert_eq!(denial_reason(entry), None, "{entry} is both allowed and denied");
            }
            for entry in specific {
                assert!(!COMMON.contains(entry), "{entry} is already in COMMON");
                assert_eq!(specific.iter().filter(|e| *e == entry).count(), 1, "{entry} repeats in {dialect}");
            }
        }
    }

    #[test]
    fn denied_names_state_their_reason_in_every_dialect_and_case() {
        for dialect in ALL {
            let why = reason(dialect, &["pg_catalog", "PG_SLEEP"]).unwrap();
            assert!(why.contains("pg_catalog.PG_SLEEP is not allowed: it can stall the server"), "{why}");
            assert!(reason(dialect, &["load_extension"]).unwrap().contains("native code"));
        }
    }

    #[test]
    fn builtins_pass_only_unqualified_or_from_pg_catalog() {
        assert_eq!(reason(Dialect::Postgres, &["pg_catalog", "lower"]), None);
        assert_eq!(reason(Dialect::Postgres, &["COUNT"]), None);
        assert!(reason(Dialect::Postgres, &["public", "lower"]).unwrap().contains("only built-in functions"));
        assert!(reason(Dialect::MySql, &["pg_catalog", "lower"]).unwrap().contains("only built-in functions"));
    }

    #[test]
    fn quoted_postgres_names_keep_their_case() {
        let quoted = |value: &str| ObjectName(vec![ObjectNamePart::Identifier(Ident::with_quote('"', value))]);
        assert!(check_function(Dialect::Postgres, &quoted("count")).is_ok());
        assert!(check_function(Dialect::Postgres, &quoted("Count")).is_err());
        assert!(check_function(Dialect::Sqlite, &quoted("Count")).is_ok());
    }

    #[test]
    fn allowlists_differ_by_dialect() {
        assert_eq!(reason(Dialect::Sqlite, &["strftime"]), None);
        assert!(reason(Dialect::Postgres, &["strftime"]).unwrap().contains("not on the allowlist"));
        assert_eq!(reason(Dialect::Postgres, &["generate_series"]), None);
        assert_eq!(reason(Dialect::MySql, &["DATE_FORMAT"]), None);
    }
}
