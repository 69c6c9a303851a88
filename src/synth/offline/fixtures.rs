//! Test fixture for the offline synthesizer's unit tests: a small shop schema
//! in snake_case, unrelated to the demo database, with a self-reference
//! (`employee.manager_id`), a many-to-many link table (`product_tag`), a
//! line-item table (price x quantity), two dates on one table and sampled
//! values.

use std::collections::BTreeMap;

use crate::dialect::Dialect;
use crate::plan::schema::{Column, DatabaseSchema, ForeignKey, Table};
use crate::plan::values::{DEFAULT_VALUE_INDEX_LIMIT, ValueIndexBuilder};

use super::catalog::{Catalog, ColumnId, TableId};
use super::linking::{Item, Linker};
use super::tokens::tokenize;

/// The SQL the synthesizer gives for `question` (default settings), or a panic with its reason.
pub(crate) fn answer(synth: &super::OfflineSynthesizer, question: &str) -> String {
    synth.synthesize(question).map(|a| a.sql).unwrap_or_else(|a| panic!("{question}: {}", a.reason))
}

/// Why the synthesizer abstains on `question`, or a panic with the SQL it gave.
pub(crate) fn refusal(synth: &super::OfflineSynthesizer, question: &str) -> String {
    match synth.synthesize(question) {
        Ok(answer) => panic!("{question} should abstain, gave {}", answer.sql),
        Err(abstention) => abstention.reason,
    }
}

pub(crate) fn column(name: &str, data_type: &str, samples: &[&str]) -> Column {
    Column {
        name: name.into(),
        data_type: data_type.into(),
        nullable: true,
        sample_values: samples.iter().map(|s| (*s).to_string()).collect(),
    }
}

pub(crate) fn fk(column: &str, table: &str, referenced: &str) -> ForeignKey {
    ForeignKey {
        columns: vec![column.into()],
        referenced_table: table.into(),
        referenced_columns: vec![referenced.into()],
    }
}

pub(crate) fn table(name: &str, columns: Vec<Column>, key: &[&str], foreign_keys: Vec<ForeignKey>) -> Table {
    Table {
        name: name.into(),
        columns,
        primary_key: key.iter().map(|k| (*k).to_string()).collect(),
        foreign_keys,
        approx_rows: Some(100),
    }
}

/// The shop schema in `dialect`.
pub(crate) fn shop(dialect: Dialect) -> DatabaseSchema {
    let text = "varchar(80)";
    let tables = vec![
        table(
            "customer",
            vec![
                column("customer_id", "integer", &[]),
                column("full_name", text, &[]),
                column("country", text, &["Brazil", "Canada", "United Kingdom"]),
                column("signup_date", "date", &[]),
            ],
            &["customer_id"],
            vec![],
        ),
        table(
            "category",
            vec![column("category_id", "integer", &[]), column("name", text, &["Books", "Garden"])],
            &["category_id"],
            vec![],
        ),
        table(
            "product",
            vec![
                column("product_id", "integer", &[]),
                column("name", text, &[]),
                column("category_id", "integer", &[]),
                column("unit_price", "numeric(10,2)", &[]),
                column("quantity_in_stock", "integer", &[]),
                column("discontinued", "integer", &[]),
            ],
            &["product_id"],
            vec![fk("category_id", "category", "category_id")],
        ),
        table(
            "orders",
            vec![
                column("order_id", "integer", &[]),
                column("customer_id", "integer", &[]),
                column("order_date", "timestamp without time zone", &[]),
                column("total", "numeric(10,2)", &[]),
                column("status", text, &["cancelled", "shipped"]),
            ],
            &["order_id"],
            vec![fk("customer_id", "customer", "customer_id")],
        ),
        table(
            "order_item",
            vec![
                column("order_item_id", "integer", &[]),
                column("order_id", "integer", &[]),
                column("product_id", "integer", &[]),
                column("quantity", "integer", &[]),
                column("unit_price", "numeric(10,2)", &[]),
            ],
            &["order_item_id"],
            vec![fk("order_id", "orders", "order_id"), fk("product_id", "product", "product_id")],
        ),
        table(
            "employee",
            vec![
                column("employee_id", "integer", &[]),
                column("first_name", text, &[]),
                column("last_name", text, &[]),
                column("manager_id", "integer", &[]),
                column("hire_date", "date", &[]),
                column("birth_date", "date", &[]),
                column("salary", "numeric(10,2)", &[]),
            ],
            &["employee_id"],
            vec![fk("manager_id", "employee", "employee_id")],
        ),
        table(
            "tag",
            vec![column("tag_id", "integer", &[]), column("label", text, &["eco", "gift"])],
            &["tag_id"],
            vec![],
        ),
        table(
            "product_tag",
            vec![column("product_id", "integer", &[]), column("tag_id", "integer", &[])],
            &["product_id", "tag_id"],
            vec![fk("product_id", "product", "product_id"), fk("tag_id", "tag", "tag_id")],
        ),
    ];
    DatabaseSchema::new("shop", dialect, tables)
}

pub(crate) fn shop_catalog() -> Catalog {
    Catalog::new(&shop(Dialect::Postgres))
}

/// Values of the shop's name columns, as a value index built at schema load holds them.
pub(crate) const SHOP_INDEXED_VALUES: &[(&str, &str, &[&str])] = &[
    ("customer", "full_name", &["Jimi Hendrix", "Zoë Ünal", "Anna Maria Rossi"]),
    ("product", "name", &["Garden Hose", "The Trooper", "Love"]),
    ("employee", "first_name", &["Frank", "Nancy", "Harris"]),
    ("employee", "last_name", &["Harris", "Edwards"]),
];

/// The shop schema with a value index over [`SHOP_INDEXED_VALUES`].
pub(crate) fn indexed_shop_catalog() -> Catalog {
    Catalog::new(&indexed_shop())
}

/// The shop schema (PostgreSQL) with a value index over [`SHOP_INDEXED_VALUES`].
pub(crate) fn indexed_shop() -> DatabaseSchema {
    let mut builder = ValueIndexBuilder::new(DEFAULT_VALUE_INDEX_LIMIT);
    for (table, column, values) in SHOP_INDEXED_VALUES {
        builder.begin_column(table, column);
        for value in *values {
            builder.offer(value);
        }
        builder.end_column();
    }
    shop(Dialect::Postgres).with_values(builder.finish())
}

pub(crate) fn table_id(catalog: &Catalog, name: &str) -> TableId {
    catalog.schema.tables.iter().position(|t| t.name == name).unwrap_or_else(|| panic!("no table {name}"))
}

pub(crate) fn column_id(catalog: &Catalog, table: &str, column: &str) -> ColumnId {
    let table = table_id(catalog, table);
    let column = catalog.schema.tables[table].columns.iter().position(|c| c.name == column).expect("column exists");
    ColumnId { table, column }
}

/// The items of a question over the shop schema, with an optional glossary.
pub(crate) fn link(question: &str, glossary: &[(&str, &str)]) -> Vec<Item> {
    let catalog = shop_catalog();
    let glossary: BTreeMap<String, String> =
        glossary.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
    Linker::new(&catalog, &glossary).link(&tokenize(question))
}

/// A one-table schema whose `gender` column holds one-letter codes.
pub(crate) fn coded_catalog() -> Catalog {
    let tables = vec![table(
        "patients",
        vec![
            column("patient_id", "integer", &[]),
            column("full_name", "varchar(80)", &[]),
            column("gender", "char(1)", &["F", "M"]),
            column("blood_type", "varchar(3)", &["A", "B", "AB", "O"]),
        ],
        &["patient_id"],
        vec![],
    )];
    Catalog::new(&DatabaseSchema::new("clinic", Dialect::Sqlite, tables))
}

/// Abbreviated names, as some schemas have them: `cust`, `sales_txn.txn_amt`.
pub(crate) fn abbreviated_schema() -> DatabaseSchema {
    let tables = vec![
        table(
            "cust",
            vec![column("cust_id", "integer", &[]), column("cust_name", "varchar(80)", &[])],
            &["cust_id"],
            vec![],
        ),
        table(
            "sales_txn",
            vec![
                column("txn_id", "integer", &[]),
                column("cust_id", "integer", &[]),
                column("txn_amt", "numeric(10,2)", &[]),
                column("txn_qty", "integer", &[]),
                column("txn_dt", "date", &[]),
            ],
            &["txn_id"],
            vec![fk("cust_id", "cust", "cust_id")],
        ),
    ];
    DatabaseSchema::new("abbreviated", Dialect::Sqlite, tables)
}

/// A lending library, unlike the shop in its signals: audit columns
/// (`last_update`) on every table, name columns named like their table
/// (`country.country`, `city.city`), a many-to-many link table with an audit
/// column (`book_author`), copies of a book (an inventory table), loans with a
/// return date that is empty until the copy comes back, a role-named
/// self-reference (`staff.supervisor_id`), people split into first and last
/// names, an integer `release_year` and money on fines.
pub(crate) fn lending(dialect: Dialect) -> DatabaseSchema {
    let text = "varchar(80)";
    let audit = || column("last_update", "timestamp", &[]);
    let tables = vec![
        table(
            "country",
            vec![
                column("country_id", "integer", &[]),
                column("country", text, &["Canada", "New Zealand", "United States"]),
                audit(),
            ],
            &["country_id"],
            vec![],
        ),
        table(
            "city",
            vec![
                column("city_id", "integer", &[]),
                column("city", text, &[]),
                column("country_id", "integer", &[]),
                audit(),
            ],
            &["city_id"],
            vec![fk("country_id", "country", "country_id")],
        ),
        table(
            "branch",
            vec![
                column("branch_id", "integer", &[]),
                column("name", text, &[]),
                column("city_id", "integer", &[]),
                audit(),
            ],
            &["branch_id"],
            vec![fk("city_id", "city", "city_id")],
        ),
        table(
            "member",
            vec![
                column("member_id", "integer", &[]),
                column("first_name", text, &[]),
                column("last_name", text, &[]),
                column("email", text, &[]),
                column("city_id", "integer", &[]),
                column("joined_date", "date", &[]),
                audit(),
            ],
            &["member_id"],
            vec![fk("city_id", "city", "city_id")],
        ),
        table(
            "author",
            vec![
                column("author_id", "integer", &[]),
                column("first_name", text, &[]),
                column("last_name", text, &[]),
                audit(),
            ],
            &["author_id"],
            vec![],
        ),
        table(
            "book",
            vec![
                column("book_id", "integer", &[]),
                column("title", text, &[]),
                column("release_year", "integer", &[]),
                column("pages", "integer", &[]),
                column("length", "integer", &[]),
                column("replacement_cost", "numeric(5,2)", &[]),
                column("genre", text, &["Fantasy", "Science Fiction", "Thriller"]),
                audit(),
            ],
            &["book_id"],
            vec![],
        ),
        table(
            "book_author",
            vec![column("author_id", "integer", &[]), column("book_id", "integer", &[]), audit()],
            &["author_id", "book_id"],
            vec![fk("author_id", "author", "author_id"), fk("book_id", "book", "book_id")],
        ),
        table(
            "copy",
            vec![
                column("copy_id", "integer", &[]),
                column("book_id", "integer", &[]),
                column("branch_id", "integer", &[]),
                audit(),
            ],
            &["copy_id"],
            vec![fk("book_id", "book", "book_id"), fk("branch_id", "branch", "branch_id")],
        ),
        table(
            "staff",
            vec![
                column("staff_id", "integer", &[]),
                column("first_name", text, &[]),
                column("last_name", text, &[]),
                column("branch_id", "integer", &[]),
                column("supervisor_id", "integer", &[]),
                audit(),
            ],
            &["staff_id"],
            vec![fk("branch_id", "branch", "branch_id"), fk("supervisor_id", "staff", "staff_id")],
        ),
        table(
            "loan",
            vec![
                column("loan_id", "integer", &[]),
                column("loan_date", "timestamp", &[]),
                column("copy_id", "integer", &[]),
                column("member_id", "integer", &[]),
                column("return_date", "timestamp", &[]),
                column("staff_id", "integer", &[]),
                audit(),
            ],
            &["loan_id"],
            vec![
                fk("copy_id", "copy", "copy_id"),
                fk("member_id", "member", "member_id"),
                fk("staff_id", "staff", "staff_id"),
            ],
        ),
        table(
            "fine",
            vec![
                column("fine_id", "integer", &[]),
                column("loan_id", "integer", &[]),
                column("member_id", "integer", &[]),
                column("amount", "numeric(5,2)", &[]),
                column("paid_date", "date", &[]),
                audit(),
            ],
            &["fine_id"],
            vec![fk("loan_id", "loan", "loan_id"), fk("member_id", "member", "member_id")],
        ),
    ];
    DatabaseSchema::new("lending", dialect, tables)
}

/// A school: departments, teachers, students, courses and enrollments with a
/// grade (a number that does not add up), for readings no other fixture has.
pub(crate) fn school(dialect: Dialect) -> DatabaseSchema {
    let text = "varchar(80)";
    let tables = vec![
        table(
            "department",
            vec![column("department_id", "integer", &[]), column("name", text, &["Mathematics", "History"])],
            &["department_id"],
            vec![],
        ),
        table(
            "teacher",
            vec![
                column("teacher_id", "integer", &[]),
                column("first_name", text, &[]),
                column("last_name", text, &[]),
                column("department_id", "integer", &[]),
                column("hire_date", "date", &[]),
                column("salary", "numeric(10,2)", &[]),
            ],
            &["teacher_id"],
            vec![fk("department_id", "department", "department_id")],
        ),
        table(
            "student",
            vec![
                column("student_id", "integer", &[]),
                column("first_name", text, &[]),
                column("last_name", text, &[]),
                column("birth_date", "date", &[]),
                column("enrollment_year", "integer", &[]),
                column("city", text, &["Boston", "Chicago"]),
            ],
            &["student_id"],
            vec![],
        ),
        table(
            "course",
            vec![
                column("course_id", "integer", &[]),
                column("title", text, &["Calculus", "World History"]),
                column("credits", "integer", &[]),
                column("department_id", "integer", &[]),
                column("teacher_id", "integer", &[]),
            ],
            &["course_id"],
            vec![fk("department_id", "department", "department_id"), fk("teacher_id", "teacher", "teacher_id")],
        ),
        table(
            "enrollment",
            vec![
                column("enrollment_id", "integer", &[]),
                column("student_id", "integer", &[]),
                column("course_id", "integer", &[]),
                column("semester", text, &["Fall 2023", "Spring 2024"]),
                column("grade", "numeric(5,2)", &[]),
                column("enrolled_on", "date", &[]),
            ],
            &["enrollment_id"],
            vec![fk("student_id", "student", "student_id"), fk("course_id", "course", "course_id")],
        ),
    ];
    DatabaseSchema::new("school", dialect, tables)
}

/// A trading company: suppliers, products with stock levels, customers,
/// employees reporting to employees, shippers (`orders.ship_via`) and order
/// lines, for readings about shipping, stock and suppliers.
pub(crate) fn trade(dialect: Dialect) -> DatabaseSchema {
    let text = "varchar(80)";
    let tables = vec![
        table(
            "category",
            vec![column("category_id", "integer", &[]), column("category_name", text, &["Beverages", "Seafood"])],
            &["category_id"],
            vec![],
        ),
        table(
            "supplier",
            vec![
                column("supplier_id", "integer", &[]),
                column("company_name", text, &[]),
                column("country", text, &["Germany", "Japan"]),
            ],
            &["supplier_id"],
            vec![],
        ),
        table(
            "product",
            vec![
                column("product_id", "integer", &[]),
                column("product_name", text, &[]),
                column("supplier_id", "integer", &[]),
                column("category_id", "integer", &[]),
                column("unit_price", "numeric(10,2)", &[]),
                column("units_in_stock", "integer", &[]),
                column("discontinued", "boolean", &[]),
            ],
            &["product_id"],
            vec![fk("supplier_id", "supplier", "supplier_id"), fk("category_id", "category", "category_id")],
        ),
        table(
            "customer",
            vec![
                column("customer_id", "integer", &[]),
                column("company_name", text, &[]),
                column("country", text, &["Germany", "France", "USA"]),
            ],
            &["customer_id"],
            vec![],
        ),
        table(
            "shipper",
            vec![column("shipper_id", "integer", &[]), column("company_name", text, &["Speedy Express"])],
            &["shipper_id"],
            vec![],
        ),
        table(
            "orders",
            vec![
                column("order_id", "integer", &[]),
                column("customer_id", "integer", &[]),
                column("order_date", "date", &[]),
                column("shipped_date", "date", &[]),
                column("ship_via", "integer", &[]),
                column("freight", "numeric(10,2)", &[]),
                column("ship_country", "varchar(80)", &["France", "Germany"]),
            ],
            &["order_id"],
            vec![fk("customer_id", "customer", "customer_id"), fk("ship_via", "shipper", "shipper_id")],
        ),
        table(
            "order_details",
            vec![
                column("order_id", "integer", &[]),
                column("product_id", "integer", &[]),
                column("unit_price", "numeric(10,2)", &[]),
                column("quantity", "integer", &[]),
            ],
            &["order_id", "product_id"],
            vec![fk("order_id", "orders", "order_id"), fk("product_id", "product", "product_id")],
        ),
    ];
    DatabaseSchema::new("trade", dialect, tables)
}
