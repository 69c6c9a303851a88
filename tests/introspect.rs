//! Introspection against real databases: Chinook on SQLite, PostgreSQL and
//! MariaDB must come out with the facts anyone can check in its scripts
//! (tables, Track's columns and types, composite and self-referencing keys,
//! row counts, sampled values), deterministically; scratch databases cover
//! what Chinook does not (schemas outside `public`, implicit foreign-key
//! columns, enums, views, fingerprint changes).

mod common;

use common::chinook::{chinook_mysql, chinook_postgres, chinook_sqlite_url, with_database};
use sqlsynth::config::SourceSettings;
use sqlsynth::db::SourcePool;
use sqlsynth::dialect::Dialect;
use sqlsynth::plan::introspect::introspect;
use sqlsynth::plan::schema::{DatabaseSchema, ForeignKey, Table};
use sqlsynth::secret::SecretUrl;
use sqlx::{Connection, Executor};

async fn introspect_url(source: &str, url: &str) -> DatabaseSchema {
    let settings = SourceSettings {
        acquire_timeout_ms: 30_000,
        name: source.into(),
        dialect: Dialect::from_url(url).expect("a supported URL"),
        url: SecretUrl::new(url),
        max_connections: 4,
        glossary: Default::default(),
        examples: Vec::new(),
        value_index_limit: sqlsynth::plan::values::DEFAULT_VALUE_INDEX_LIMIT,
    };
    let pool = SourcePool::connect(&settings).await.expect("connect");
    let schema = introspect(source, &pool).await.expect("introspect");
    pool.close().await;
    schema
}

/// Chinook's CamelCase name as the dialect's script spells it (PostgreSQL: snake_case).
fn chinook_name(dialect: Dialect, camel: &str) -> String {
    if dialect != Dialect::Postgres {
        return camel.to_string();
    }
    let mut snake = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    snake
}

fn table<'a>(schema: &'a DatabaseSchema, camel: &str) -> &'a Table {
    let name = chinook_name(schema.dialect, camel);
    schema.tables.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("table {name} is missing"))
}

fn samples<'a>(schema: &'a DatabaseSchema, table_camel: &str, column_camel: &str) -> &'a [String] {
    let name = chinook_name(schema.dialect, column_camel);
    let table = table(schema, table_camel);
    let column = table.columns.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("column {name} is missing"));
    &column.sample_values
}

fn foreign_key(dialect: Dialect, column: &str, parent: &str, parent_column: &str) -> ForeignKey {
    ForeignKey {
        columns: vec![chinook_name(dialect, column)],
        referenced_table: chinook_name(dialect, parent),
        referenced_columns: vec![chinook_name(dialect, parent_column)],
    }
}

/// Checks the facts every Chinook shares; `track_types` are Track's declared types in column order.
fn assert_chinook(schema: &DatabaseSchema, track_types: &[&str]) {
    let dialect = schema.dialect;
    let names = |camels: &[&str]| camels.iter().map(|c| chinook_name(dialect, c)).collect::<Vec<_>>();

    let mut expected_tables = names(&[
        "Album",
        "Artist",
        "Customer",
        "Employee",
        "Genre",
        "Invoice",
        "InvoiceLine",
        "MediaType",
        "Playlist",
        "PlaylistTrack",
        "Track",
    ]);
    expected_tables.sort();
    let tables: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tables, expected_tables, "{dialect}: exactly Chinook's 11 tables, sorted");

    let track = table(schema, "Track");
    let columns: Vec<(&str, &str, bool)> =
        track.columns.iter().map(|c| (c.name.as_str(), c.data_type.as_str(), c.nullable)).collect();
    let track_columns = names(&[
        "TrackId",
        "Name",
        "AlbumId",
        "MediaTypeId",
        "GenreId",
        "Composer",
        "Milliseconds",
        "Bytes",
        "UnitPrice",
    ]);
    let nullable = [false, false, true, false, true, true, false, true, false];
    let expected: Vec<(&str, &str, bool)> = track_columns
        .iter()
        .zip(track_types)
        .zip(nullable)
        .map(|((name, data_type), nullable)| (name.as_str(), *data_type, nullable))
        .collect();
    assert_eq!(columns, expected, "{dialect}: Track's columns in declared order");
    assert_eq!(track.primary_key, names(&["TrackId"]));
    assert_eq!(
        track.foreign_keys,
        vec![
            foreign_key(dialect, "AlbumId", "Album", "AlbumId"),
            foreign_key(dialect, "GenreId", "Genre", "GenreId"),
            foreign_key(dialect, "MediaTypeId", "MediaType", "MediaTypeId"),
        ],
        "{dialect}: Track's foreign keys"
    );

    assert_eq!(table(schema, "PlaylistTrack").primary_key, names(&["PlaylistId", "TrackId"]), "{dialect}: key order");
    assert!(
        table(schema, "Employee").foreign_keys.contains(&foreign_key(dialect, "ReportsTo", "Employee", "EmployeeId")),
        "{dialect}: Employee.ReportsTo references Employee"
    );

    let countries = samples(schema, "Customer", "Country");
    assert!(countries.iter().any(|c| c == "Brazil") && countries.iter().any(|c| c == "USA"), "{countries:?}");
    assert!(countries.windows(2).all(|w| w[0] < w[1]), "sample values are sorted and distinct: {countries:?}");
    assert!(samples(schema, "Genre", "Name").iter().any(|g| g == "Rock"));
    assert!(samples(schema, "Customer", "Email").is_empty(), "{dialect}: emails are never sampled");
    assert!(samples(schema, "Employee", "Email").is_empty(), "{dialect}: not even eight of them");
    assert!(samples(schema, "Track", "Name").is_empty(), "{dialect}: 3503 names are not low-cardinality");
    assert!(samples(schema, "Customer", "CustomerId").is_empty(), "{dialect}: keys are not sampled");
}

fn assert_track_count_near(schema: &DatabaseSchema, tolerance: f64) {
    let rows = table(schema, "Track").approx_rows.expect("the catalog knows Track's size after ANALYZE") as f64;
    assert!((rows - 3503.0).abs() <= 3503.0 * tolerance, "{}: Track has about 3503 rows, not {rows}", schema.dialect);
}

#[tokio::test]
async fn sqlite_chinook_is_described_exactly_and_deterministically() {
    let url = chinook_sqlite_url();
    let schema = introspect_url("chinook", &url).await;
    let int = "INTEGER";
    assert_chinook(&schema, &[int, "NVARCHAR(200)", int, int, int, "NVARCHAR(220)", int, int, "NUMERIC(10,2)"]);
    // No sqlite_stat1 in the demo file: counts are exact.
    assert_eq!(table(&schema, "Track").approx_rows, Some(3503));
    assert_eq!(table(&schema, "PlaylistTrack").approx_rows, Some(8715));
    assert_eq!(schema.source, "chinook");

    let again = introspect_url("chinook", &url).await;
    assert_eq!(again, schema, "a second introspection gives the same schema, samples included");
}

#[tokio::test]
async fn postgres_chinook_is_described_with_catalog_estimates() {
    let Some(url) = chinook_postgres().await else { return };
    let schema = introspect_url("chinook", &url).await;
    let int = "integer";
    assert_chinook(
        &schema,
        &[int, "character varying(200)", int, int, int, "character varying(220)", int, int, "numeric(10,2)"],
    );
    assert_track_count_near(&schema, 0.05);

    let again = introspect_url("chinook", &url).await;
    assert_eq!(again.fingerprint, schema.fingerprint);
    assert_eq!(again, schema);
    let sqlite = introspect_url("chinook", &chinook_sqlite_url()).await;
    assert_ne!(schema.fingerprint, sqlite.fingerprint, "fingerprints differ between dialects");
}

#[tokio::test]
async fn mariadb_chinook_is_described_with_catalog_estimates() {
    let Some(url) = chinook_mysql().await else { return };
    let schema = introspect_url("chinook", &url).await;
    // MariaDB spells int(11), MySQL 8 int; compare without the display width.
    let mut schema_without_widths = schema.clone();
    for table in &mut schema_without_widths.tables {
        for column in &mut table.columns {
            if column.data_type.starts_with("int(") {
                column.data_type = "int".into();
            }
        }
    }
    let int = "int";
    assert_chinook(
        &schema_without_widths,
        &[int, "varchar(200)", int, int, int, "varchar(220)", int, int, "decimal(10,2)"],
    );
    // InnoDB estimates from sampled pages, even after ANALYZE TABLE.
    assert_track_count_near(&schema, 0.5);

    let mut again = introspect_url("chinook", &url).await;
    assert_eq!(again.fingerprint, schema.fingerprint);
    // InnoDB may refresh its estimates at any time; everything else is the same.
    let mut first = schema.clone();
    for table in first.tables.iter_mut().chain(again.tables.iter_mut()) {
        table.approx_rows = None;
    }
    assert_eq!(again, first);
    let sqlite = introspect_url("chinook", &chinook_sqlite_url()).await;
    assert_ne!(schema.fingerprint, sqlite.fingerprint, "fingerprints differ between dialects");
}

#[tokio::test]
async fn sqlite_scratch_resolves_implicit_keys_describes_views_and_fingerprints_structure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("scratch.sqlite");
    let url = format!("sqlite://{}", path.display());
    let mut writer = sqlx::SqliteConnection::connect(&format!("{url}?mode=rwc")).await.expect("create scratch file");
    writer
        .execute(sqlx::raw_sql(
            "CREATE TABLE pair (a INTEGER NOT NULL, b TEXT NOT NULL, PRIMARY KEY (b, a));
             CREATE TABLE shop (id INTEGER PRIMARY KEY, kind varchar(10), contact_email TEXT, pb TEXT, pa INTEGER,
                                FOREIGN KEY (pb, pa) REFERENCES PAIR);
             CREATE VIEW shop_kinds AS SELECT kind, count(*) AS shops FROM shop GROUP BY kind;
             INSERT INTO pair VALUES (1, 'x'), (2, 'y');
             INSERT INTO shop (kind, contact_email, pb, pa) VALUES
                 ('bakery', 'a@example.com', 'x', 1), ('florist', 'b@example.com', 'y', 2), ('bakery', NULL, 'x', 1);",
        ))
        .await
        .expect("create scratch tables");

    let schema = introspect_url("scratch", &url).await;
    let shop = schema.table("shop").expect("shop");
    assert_eq!(
        shop.foreign_keys,
        vec![ForeignKey {
            columns: vec!["pb".into(), "pa".into()],
            referenced_table: "pair".into(),
            referenced_columns: vec!["b".into(), "a".into()],
        }],
        "an implicit reference means the parent's primary key, in key order, with the parent's own spelling"
    );
    assert_eq!(schema.table("pair").expect("pair").primary_key, ["b", "a"]);
    assert_eq!(shop.column("id").map(|c| c.nullable), Some(false), "a primary key is not nullable");
    assert_eq!(shop.column("kind").expect("kind").sample_values, ["bakery", "florist"]);
    assert!(shop.column("contact_email").expect("email").sample_values.is_empty());
    assert!(shop.column("pb").expect("pb").sample_values.is_empty(), "foreign-key columns are not sampled");
    assert_eq!(shop.approx_rows, Some(3));
    let view = schema.table("shop_kinds").expect("views are described");
    assert_eq!(view.columns.len(), 2);
    assert!(view.approx_rows.is_none() && view.columns.iter().all(|c| c.sample_values.is_empty()));

    writer.execute("INSERT INTO shop (kind) VALUES ('grocer')").await.expect("insert");
    let more_rows = introspect_url("scratch", &url).await;
    let kinds = more_rows.table("shop").and_then(|t| t.column("kind")).map(|c| c.sample_values.clone());
    assert_eq!(kinds, Some(vec!["bakery".into(), "florist".into(), "grocer".into()]));
    assert_eq!(more_rows.fingerprint, schema.fingerprint, "rows and samples do not change the fingerprint");

    // Once analysed, counts come from sqlite_stat1, even when they are out of date.
    writer.execute("ANALYZE").await.expect("analyze");
    writer.execute("INSERT INTO shop (kind) VALUES ('grocer')").await.expect("insert");
    let analysed = introspect_url("scratch", &url).await;
    assert_eq!(analysed.table("shop").and_then(|t| t.approx_rows), Some(4), "the count ANALYZE saw");

    writer.execute("ALTER TABLE shop ADD COLUMN opened DATE").await.expect("add column");
    let altered = introspect_url("scratch", &url).await;
    assert_ne!(altered.fingerprint, schema.fingerprint, "a new column changes the fingerprint");
    writer.close().await.expect("close");
}

/// Creates an empty scratch PostgreSQL database; the test drops it when it is done.
async fn scratch_postgres_database(name: &str) -> Option<(sqlx::PgPool, String)> {
    let admin = common::postgres().await?;
    admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await.expect("drop scratch");
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create scratch");
    let url = with_database(&common::postgres_url(), name);
    Some((admin, url))
}

#[tokio::test]
async fn postgres_qualifies_other_schemas_and_samples_enums() {
    let name = format!("sqlsynth_introspect_{}", std::process::id());
    let Some((admin, url)) = scratch_postgres_database(&name).await else { return };
    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect scratch");
    conn.execute(sqlx::raw_sql(
        "CREATE SCHEMA sales;
         CREATE TYPE mood AS ENUM ('happy', 'sad');
         CREATE TABLE region (code char(2) PRIMARY KEY, label text NOT NULL);
         CREATE TABLE sales.orders (a int, b int, region char(2) REFERENCES region, feeling mood, note text,
                                    PRIMARY KEY (b, a));
         CREATE TABLE sales.lines (id int PRIMARY KEY, oa int, ob int, FOREIGN KEY (ob, oa) REFERENCES sales.orders (b, a));
         INSERT INTO region VALUES ('EU', 'Europe'), ('US', 'United States');
         INSERT INTO sales.orders VALUES (1, 1, 'EU', 'happy', 'x'), (2, 1, 'US', 'sad', 'y'), (3, 1, 'EU', 'happy', 'z');
         ANALYZE;",
    ))
    .await
    .expect("create scratch objects");
    conn.close().await.expect("close");

    let schema = introspect_url("scratch", &url).await;
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["region", "sales.lines", "sales.orders"]);
    let orders = schema.table("sales.orders").expect("orders");
    assert_eq!(orders.primary_key, ["b", "a"]);
    assert_eq!(orders.approx_rows, Some(3));
    assert_eq!(
        orders.column("feeling").map(|c| (c.data_type.as_str(), c.sample_values.clone())),
        Some(("mood", vec!["happy".into(), "sad".into()]))
    );
    assert_eq!(orders.column("region").map(|c| c.data_type.as_str()), Some("character(2)"));
    assert_eq!(orders.foreign_keys[0].referenced_table, "region");
    let lines = schema.table("sales.lines").expect("lines");
    assert_eq!(
        lines.foreign_keys,
        vec![ForeignKey {
            columns: vec!["ob".into(), "oa".into()],
            referenced_table: "sales.orders".into(),
            referenced_columns: vec!["b".into(), "a".into()],
        }]
    );
    assert_eq!(schema.table("region").and_then(|t| t.column("label")).map(|c| c.sample_values.len()), Some(2));

    admin.execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str()).await.expect("drop scratch");
}

#[tokio::test]
async fn mariadb_samples_enums_not_sets_and_keeps_composite_key_order() {
    let Some(admin) = common::mysql().await else { return };
    let name = format!("sqlsynth_introspect_{}", std::process::id());
    admin
        .execute(sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}")))
        .await
        .expect("create scratch database");
    let url = with_database(&common::mysql_url(), &name);
    let mut conn = sqlx::MySqlConnection::connect(&url).await.expect("connect scratch");
    conn.execute(sqlx::raw_sql(
        "CREATE TABLE pair (a INT NOT NULL, b VARCHAR(5) NOT NULL, PRIMARY KEY (b, a));
         CREATE TABLE shop (id INT PRIMARY KEY, kind ENUM('bakery', 'florist'), tags SET('x', 'y'), pa INT, pb VARCHAR(5),
                            FOREIGN KEY (pb, pa) REFERENCES pair (b, a));
         CREATE VIEW shop_kinds AS SELECT kind, COUNT(*) AS shops FROM shop GROUP BY kind;
         INSERT INTO pair VALUES (1, 'x');
         INSERT INTO shop VALUES (1, 'bakery', 'x,y', 1, 'x'), (2, 'florist', 'y', 1, 'x');",
    ))
    .await
    .expect("create scratch tables");
    conn.close().await.expect("close");

    let schema = introspect_url("scratch", &url).await;
    let shop = schema.table("shop").expect("shop");
    let kind = shop.column("kind").expect("kind");
    assert_eq!(
        (kind.data_type.as_str(), kind.sample_values.clone()),
        ("enum('bakery','florist')", vec!["bakery".into(), "florist".into()])
    );
    assert!(shop.column("tags").expect("tags").sample_values.is_empty(), "set values are combinations, not words");
    assert_eq!(schema.table("pair").expect("pair").primary_key, ["b", "a"]);
    assert_eq!(
        shop.foreign_keys,
        vec![ForeignKey {
            columns: vec!["pb".into(), "pa".into()],
            referenced_table: "pair".into(),
            referenced_columns: vec!["b".into(), "a".into()],
        }]
    );
    let view = schema.table("shop_kinds").expect("views are described");
    assert!(view.approx_rows.is_none() && view.columns.iter().all(|c| c.sample_values.is_empty()));

    admin.execute(format!("DROP DATABASE {name}").as_str()).await.expect("drop scratch");
}

#[tokio::test]
async fn mariadb_url_without_database_is_an_error_naming_the_source() {
    let Some(admin) = common::mysql().await else { return };
    admin.close().await;
    let settings = SourceSettings {
        acquire_timeout_ms: 30_000,
        name: "nodb".into(),
        dialect: Dialect::MySql,
        url: SecretUrl::new(with_database(&common::mysql_url(), "")),
        max_connections: 1,
        glossary: Default::default(),
        examples: Vec::new(),
        value_index_limit: sqlsynth::plan::values::DEFAULT_VALUE_INDEX_LIMIT,
    };
    let pool = SourcePool::connect(&settings).await.expect("connect");
    let error = introspect("nodb", &pool).await.expect_err("no database to describe");
    assert!(error.to_string().contains("source 'nodb'"), "{error}");
    pool.close().await;
}
