//! `report.html` end to end, as people get it: the example job's page opened
//! in a real headless Chromium (no console message, a section per question,
//! a chart for each answer whose shape has one, a screenshot as an artifact),
//! hostile values in the data shown as text, a nightly job run twice on
//! PostgreSQL with the data changed in between (deltas, moved categories,
//! changed SQL and columns said), `sqlsynth report` rebuilding a page and
//! comparing with any finished run, a large answer read only in part, and
//! `output.report = false`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo_url() -> String {
    format!("sqlite://{}", repo().join("jobs/demo/chinook.sqlite").display())
}

/// A work directory whose config has one source, `name` at `url`.
fn workdir(name: &str, url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sqlsynth.toml"), format!("[sources.{name}]\nurl = \"{url}\"\n")).unwrap();
    dir
}

fn sqlsynth(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sqlsynth"));
    command.current_dir(dir).args(args).env_remove("SQLSYNTH_CONFIG").env_remove("RUST_LOG").env_remove("SQLSYNTH_LOG");
    command.envs(env.iter().copied());
    command.output().expect("the binary runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Writes a job of pinned questions `(id, question, sql)` to `dir/job.json`.
fn pinned_job(dir: &Path, job_id: &str, source: &str, questions: &[(&str, &str, &str)]) -> PathBuf {
    let questions: Vec<Value> = questions
        .iter()
        .map(|(id, question, sql)| serde_json::json!({"id": id, "source": source, "question": question, "sql": sql}))
        .collect();
    let path = dir.join("job.json");
    std::fs::write(&path, serde_json::to_vec(&serde_json::json!({"job_id": job_id, "questions": questions})).unwrap())
        .unwrap();
    path
}

fn run_job(dir: &Path, job: &Path) {
    let output = sqlsynth(dir, &["run", job.to_str().unwrap(), "--out", "out"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

/// The HTML of one question's section, from its opening tag to the next section.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("id=\"q-{id}\"")).unwrap_or_else(|| panic!("no section for {id}"));
    let end = html[start..].find("</section>").map_or(html.len(), |at| start + at);
    &html[start..end]
}

/// The text of an HTML fragment: tags dropped, the five entities decoded.
fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The rows of the moves table of a section: `class|cell|cell|…`.
fn moves(section: &str) -> Vec<String> {
    let Some(start) = section.find("<table class=\"moves\">") else { return Vec::new() };
    let table = &section[start..start + section[start..].find("</table>").unwrap()];
    table
        .split("<tr class=\"")
        .skip(1)
        .map(|row| {
            let (class, rest) = row.split_once('"').unwrap();
            let cells: Vec<String> = rest.split("<td").skip(1).map(|cell| plain(&format!("<td{cell}"))).collect();
            format!("{class}|{}", cells.join("|"))
        })
        .collect()
}

/// What the page should draw for an answer, read off its manifest record
/// (an oracle independent of the report code): a big value for one row;
/// bars for text and exactly one measure; a line over a `year` column.
fn expected_figure(record: &Value) -> &'static str {
    let columns = record["columns"].as_array().unwrap();
    let name = |c: &Value| c["name"].as_str().unwrap().to_string();
    let kind = |c: &Value| c["type"].as_str().unwrap().to_string();
    let is_key = |c: &Value| name(c).ends_with("Id") || name(c).ends_with("_id");
    let is_number = |c: &Value| ["Int", "Float", "Decimal"].iter().any(|t| kind(c).starts_with(t)) && !is_key(c);
    let is_period = |c: &Value| ["year", "month"].contains(&name(c).as_str());
    let measures = columns.iter().filter(|c| is_number(c) && !is_period(c)).count();
    let texts = columns.iter().filter(|c| kind(c) == "Utf8").count();
    match record["rows"].as_u64().unwrap() {
        0 => "none",
        1 => "big",
        _ if columns.iter().any(is_period) && measures >= 1 && texts == 0 => "line",
        _ if measures == 1 && (1..=3).contains(&texts) => "bars",
        _ => "none",
    }
}

#[test]
fn the_example_jobs_report_loads_in_chromium_with_a_section_and_a_chart_per_answer() {
    let dir = workdir("chinook", &demo_url());
    run_job(dir.path(), &repo().join("jobs/example.json"));
    let job_dir = dir.path().join("out/example");
    let page = job_dir.join("report.html");
    let modified = |name: &str| std::fs::metadata(job_dir.join(name)).unwrap().modified().unwrap();
    assert!(modified("report.html") <= modified("manifest.json"), "the manifest is written last");
    let manifest = common::schema::manifest_at(&job_dir.join("manifest.json"));
    let questions = manifest["questions"].as_array().unwrap();

    // The console check can fail: a page that logs is caught.
    let probe = dir.path().join("probe.html");
    std::fs::write(&probe, "<title>p</title><script>console.error('sqlsynth-probe')</script>").unwrap();
    let Some(probed) = common::chromium::load(&probe) else { return };
    assert!(probed.console.iter().any(|line| line.contains("sqlsynth-probe")), "{:?}", probed.console);

    let Some(loaded) = common::chromium::load(&page) else { return };
    assert!(loaded.console.is_empty(), "console messages: {:?}", loaded.console);
    let dom = &loaded.dom;
    assert_eq!(dom.matches("<section class=\"question").count(), questions.len());
    let mut figures = std::collections::BTreeMap::new();
    for record in questions {
        let id = record["id"].as_str().unwrap();
        let html = section(dom, id);
        assert!(html.contains(&plain_escaped(record["question"].as_str().unwrap())), "{id}: the question");
        assert!(html.contains("<details class=\"sql\">"), "{id}: the SQL, collapsible");
        assert!(html.contains("Understood as") || record["synthesizer"] == "pinned", "{id}: the restatement");
        let expected = expected_figure(record);
        *figures.entry(expected).or_insert(0) += 1;
        let svg = html.contains("<svg class=\"chart\"");
        match expected {
            "bars" => {
                let bars = html.matches("<rect class=\"bar").count() as u64;
                assert!(svg && bars == record["rows"].as_u64().unwrap().min(21), "{id}: {bars} bars");
            }
            "line" => assert!(svg && html.contains("<polyline"), "{id}: a line chart"),
            "big" => assert!(!svg && html.contains("<div class=\"big\">"), "{id}: a big value"),
            _ => assert!(!svg && !html.contains("class=\"big\""), "{id}: the table alone"),
        }
        if expected != "big" {
            let data_rows = html.matches("<tr>").count() - html.matches("<thead>").count();
            assert_eq!(data_rows as u64, record["rows"].as_u64().unwrap(), "{id}: a table of every row read");
        }
    }
    assert!(
        figures.get("bars").copied().unwrap_or(0) >= 5 && figures.get("line").copied().unwrap_or(0) >= 2,
        "{figures:?}"
    );
    assert!(figures.get("big").copied().unwrap_or(0) >= 5, "{figures:?}");

    let artifacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    common::chromium::screenshot(&page, &artifacts.join("report-example.png"), 1100, 2400).unwrap();
    common::chromium::screenshot(&page, &artifacts.join("report-example-phone.png"), 390, 1800).unwrap();
    eprintln!("screenshots: {}/report-example*.png", artifacts.display());
}

/// `text` as Chromium serializes a text node (`&`, `<`, `>` escaped).
fn plain_escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_values_in_the_data_show_as_text_and_run_no_script() {
    use sqlx::{ConnectOptions, Executor};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hostile.sqlite");
    let options = format!("sqlite://{}", db.display()).parse::<sqlx::sqlite::SqliteConnectOptions>().unwrap();
    let mut connection = options.create_if_missing(true).connect().await.unwrap();
    connection.execute("CREATE TABLE hostile (name TEXT, n INTEGER)").await.unwrap();
    let values = [
        ("<script>document.title='pwned'</script>", 3),
        ("<img src=x onerror=\"document.title='pwned'\">", 2),
        ("\"><svg onload=\"document.title='pwned'\">", 1),
        ("Tom & Jerry's", 1),
    ];
    for (name, n) in values {
        sqlx::query("INSERT INTO hostile VALUES (?, ?)").bind(name).bind(n).execute(&mut connection).await.unwrap();
    }
    drop(connection);
    let work = workdir("h", &format!("sqlite://{}", db.display()));
    let job = pinned_job(
        work.path(),
        "hostile",
        "h",
        &[
            ("bars", "Who is <b>first</b>?", "SELECT name, n FROM hostile ORDER BY n DESC"),
            ("one", "The <i>top</i> name", "SELECT name FROM hostile WHERE n = 3"),
            ("named", "A hostile column", "SELECT n AS \"<img src=y onerror=alert(1)>\" FROM hostile WHERE n = 2"),
        ],
    );
    run_job(work.path(), &job);
    let page = work.path().join("out/hostile/report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("<script") && !html.contains("<img") && !html.contains("<svg onload"),
        "raw markup in the page"
    );
    let Some(loaded) = common::chromium::load(&page) else { return };
    let dom = &loaded.dom;
    assert!(loaded.console.is_empty(), "console messages (a blocked script, a failed load): {:?}", loaded.console);
    let title = &dom[dom.find("<title>").unwrap() + 7..dom.find("</title>").unwrap()];
    assert_eq!(title, "hostile — sqlsynth report", "no script changed the title");
    for element in ["<script", "<img", "<svg onload", "<b>first", "<i>top"] {
        assert!(!dom.contains(element), "an element {element} was created");
    }
    // The values are there, as text: in the table, the bar labels, the big value.
    let shown = "&lt;script&gt;document.title='pwned'&lt;/script&gt;";
    let bars = section(dom, "bars");
    assert!(bars.matches(shown).count() >= 2, "the table cell and the bar's hover title, whole");
    assert!(bars.matches("&lt;script&gt;document.title").count() >= 3, "and the bar label, clipped");
    assert!(section(dom, "one").contains(shown), "the big value");
    assert!(section(dom, "named").contains("&lt;img src=y onerror=alert(1)&gt;"), "the column name");
    assert!(section(dom, "bars").contains("Tom &amp; Jerry's"));
}

/// PostgreSQL: a table of sales whose rows change between two nightly runs.
struct Sales {
    pool: sqlx::PgPool,
    table: String,
}

impl Sales {
    async fn set(&self, rows: &[(&str, i64)]) {
        sqlx::query(&format!("DELETE FROM {}", self.table)).execute(&self.pool).await.unwrap();
        for (region, amount) in rows {
            sqlx::query(&format!("INSERT INTO {} VALUES ($1, $2)", self.table))
                .bind(region)
                .bind(rust_decimal::Decimal::from(*amount))
                .execute(&self.pool)
                .await
                .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nightly_job_run_twice_shows_what_changed_since_the_previous_tick() {
    let Some(pool) = common::postgres().await else { return };
    let table = format!("report_sales_{}_{:08x}", std::process::id(), fastrand::u32(..));
    sqlx::query(&format!("CREATE TABLE {table} (region text, amount numeric(10,2))")).execute(&pool).await.unwrap();
    let sales = Sales { pool: pool.clone(), table: table.clone() };
    let dir = workdir("sales", &common::postgres_url());
    let questions = |count_sql: &str, regions_sql: &str| -> Vec<(String, String, String)> {
        [
            ("total", "Total sales", format!("SELECT SUM(amount) AS total FROM {table}")),
            (
                "by_region",
                "Sales by region",
                format!("SELECT region, SUM(amount) AS amount FROM {table} GROUP BY region ORDER BY amount DESC"),
            ),
            (
                "best",
                "Best region",
                format!(
                    "SELECT region, SUM(amount) AS amount FROM {table} GROUP BY region ORDER BY amount DESC LIMIT 1"
                ),
            ),
            ("count", "How many regions?", count_sql.replace("{t}", &table)),
            ("regions", "Regions", regions_sql.replace("{t}", &table)),
        ]
        .into_iter()
        .map(|(id, q, sql)| (id.to_string(), q.to_string(), sql))
        .collect()
    };
    let run = |job_id: &str, questions: Vec<(String, String, String)>| {
        let questions: Vec<(&str, &str, &str)> =
            questions.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
        let job = pinned_job(dir.path(), job_id, "sales", &questions);
        run_job(dir.path(), &job);
        std::fs::read_to_string(dir.path().join("out").join(job_id).join("report.html")).unwrap()
    };

    sales.set(&[("North", 100), ("South", 50), ("East", 30), ("West", 20)]).await;
    let first = run(
        "nightly-20261126T010000Z",
        questions("SELECT COUNT(*) AS regions FROM {t}", "SELECT region FROM {t} ORDER BY 1"),
    );
    assert!(plain(&first).contains("The first finished run of schedule nightly here"), "{}", plain(&first));

    // Decoys: an unfinished later tick, a later finished tick, another schedule's run.
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("nightly-20261126T020000Z")).unwrap();
    for decoy in ["nightly-20261128T010000Z", "nightly-report-20261126T230000Z"] {
        std::fs::create_dir_all(out.join(decoy)).unwrap();
        let manifest = std::fs::read_to_string(out.join("nightly-20261126T010000Z/manifest.json")).unwrap();
        std::fs::write(out.join(decoy).join("manifest.json"), manifest.replace("nightly-20261126T010000Z", decoy))
            .unwrap();
    }

    sales.set(&[("North", 130), ("South", 45), ("East", 30), ("Central", 150)]).await;
    let second = run(
        "nightly-20261127T010000Z",
        questions("SELECT COUNT(DISTINCT region) AS regions FROM {t}", "SELECT region, amount FROM {t} ORDER BY 1"),
    );
    sqlx::query(&format!("DROP TABLE {table}")).execute(&pool).await.unwrap();

    assert!(plain(&second).contains("Changes are since nightly-20261126T010000Z"), "{}", plain(&second));
    let total = plain(section(&second, "total"));
    assert!(total.contains("+155 (+77.5%) from 200 to 355."), "{total}");
    let by_region = section(&second, "by_region");
    assert_eq!(
        moves(by_region),
        [
            "added|Central|—|150|new",
            "up|North|100|130|+30 (+30.0%)",
            "removed|West|20|—|gone",
            "down|South|50|45|\u{2212}5 (\u{2212}10.0%)"
        ]
    );
    assert!(plain(by_region).contains("1 unchanged."), "East: {}", plain(by_region));
    let best = plain(section(&second, "best"));
    assert!(best.contains("+50 (+50.0%) from 100 to 150. It was North; it is Central now."), "{best}");
    let count = plain(section(&second, "count"));
    assert!(count.contains("The SQL changed.") && count.contains("SELECT COUNT(*) AS regions"), "{count}");
    let regions = plain(section(&second, "regions"));
    assert!(regions.contains("The columns changed; they were region Utf8."), "{regions}");
    // The list at the top says it at a glance.
    let nav = plain(&second[second.find("<nav").unwrap()..second.find("</nav>").unwrap()]);
    for glance in ["Total sales ok +155 (+77.5%)", "Sales by region ok 4 moved", "How many regions? ok SQL changed"] {
        assert!(nav.contains(glance), "{glance} in {nav}");
    }
}

#[test]
fn the_report_command_rebuilds_a_page_and_compares_with_any_finished_run() {
    let dir = workdir("chinook", &demo_url());
    let job = pinned_job(
        dir.path(),
        "genres",
        "chinook",
        &[
            (
                "per_genre",
                "Tracks per genre",
                "SELECT g.Name, COUNT(*) AS tracks FROM Track t JOIN Genre g USING (GenreId) GROUP BY g.Name",
            ),
            ("genres", "How many genres?", "SELECT COUNT(*) AS genres FROM Genre"),
        ],
    );
    run_job(dir.path(), &job);
    let other = pinned_job(
        dir.path(),
        "genres-rock-only",
        "chinook",
        &[
            (
                "per_genre",
                "Tracks per genre",
                "SELECT g.Name, COUNT(*) AS tracks FROM Track t JOIN Genre g USING (GenreId) WHERE g.Name = 'Rock' GROUP BY g.Name",
            ),
            ("genres", "How many genres?", "SELECT COUNT(*) - 5 AS genres FROM Genre"),
        ],
    );
    run_job(dir.path(), &other);
    let page = dir.path().join("out/genres/report.html");
    let written = std::fs::read_to_string(&page).unwrap();
    assert!(plain(&written).contains("Not a scheduled run"));
    std::fs::remove_file(&page).unwrap();

    let rebuilt = sqlsynth(dir.path(), &["report", "out/genres"], &[]);
    assert_eq!(rebuilt.status.code(), Some(0), "{}", text(&rebuilt));
    assert_eq!(String::from_utf8_lossy(&rebuilt.stdout).trim(), "out/genres/report.html");
    assert_eq!(std::fs::read_to_string(&page).unwrap(), written, "the same page from the same files");

    let compared = sqlsynth(dir.path(), &["report", "out/genres", "--compare", "out/genres-rock-only"], &[]);
    assert_eq!(compared.status.code(), Some(0), "{}", text(&compared));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(plain(&html).contains("Changes are since genres-rock-only"));
    assert!(
        plain(section(&html, "genres")).contains("+5 (+25.0%) from 20 to 25."),
        "{}",
        plain(section(&html, "genres"))
    );
    let moved = moves(section(&html, "per_genre"));
    assert_eq!(moved.len(), 10, "the ten largest moves: {moved:?}");
    assert!(moved.iter().all(|m| m.starts_with("added|")), "every genre but Rock is new: {moved:?}");
    assert!(plain(section(&html, "per_genre")).contains("1 unchanged; 14 more moved less."));

    for (args, message) in [
        (vec!["report", "out/missing"], "no manifest there"),
        (vec!["report", "out/genres", "--compare", "out/missing"], "no manifest there"),
        (vec!["report", "out/.hidden"], "is not a job id"),
    ] {
        let failed = sqlsynth(dir.path(), &args, &[]);
        assert_eq!(failed.status.code(), Some(2), "{args:?}: {}", text(&failed));
        assert!(text(&failed).contains(message), "{args:?}: {}", text(&failed));
    }
}

#[test]
fn a_large_answer_puts_only_its_first_rows_on_the_page() {
    let dir = workdir("chinook", &demo_url());
    let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) \
               SELECT i, 'name ' || i AS name, i * 0.5 AS amount FROM n";
    let job = pinned_job(dir.path(), "large", "chinook", &[("big", "Many rows", sql)]);
    let output = sqlsynth(
        dir.path(),
        &["run", job.to_str().unwrap(), "--out", "out"],
        &[("SQLSYNTH__OUTPUT__REPORT_ROWS", "50")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let html = std::fs::read_to_string(dir.path().join("out/large/report.html")).unwrap();
    let big = section(&html, "big");
    assert!(plain(big).contains("The first 50 of 200,000 rows."), "{}", plain(big));
    assert_eq!(big.matches("<tr>").count(), 50 + 2, "50 rows and two header rows");
    assert!(big.contains(">name 50<") && !big.contains(">name 51<"));
    assert!(html.len() < 100_000, "{} bytes", html.len());
}

#[test]
fn output_report_false_writes_no_page() {
    let dir = workdir("chinook", &demo_url());
    let job = pinned_job(
        dir.path(),
        "quiet",
        "chinook",
        &[("genres", "How many genres?", "SELECT COUNT(*) AS n FROM Genre")],
    );
    let output =
        sqlsynth(dir.path(), &["run", job.to_str().unwrap(), "--out", "out"], &[("SQLSYNTH__OUTPUT__REPORT", "false")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(dir.path().join("out/quiet/manifest.json").is_file());
    assert!(!dir.path().join("out/quiet/report.html").exists());
}
