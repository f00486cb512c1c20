//! `kehou bench …`: measurements reported in docs/BENCHMARKS.md.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use clap::Subcommand;
use kehou_service::import::{Kind, Mode};
use kehou_service::platform::sheet::{self, SheetData};
use kehou_service::platform::vault::Vault;
use kehou_service::system::sample::{RosterSpec, students};
use kehou_service::{App, SystemClock};

use crate::describe;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Solve a generated after-school term of a large school: 3 000 students each in 2–3
    /// of 420 teaching classes, 120 teachers, 60 rooms, 5 days × 3 periods.
    Schedule {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 60.0, value_parser = crate::schedule::time_limit)]
        seconds: f64,
    },
    /// Run our solver and FET's `fet-cl` on every FET example whose constraints we support,
    /// with the same time limit, and compare the time to the first feasible timetable.
    Fet {
        /// The examples folder (Debian's fet-data).
        #[arg(
            long,
            default_value = "/usr/share/doc/fet-data/examples/FET-5-official"
        )]
        examples: std::path::PathBuf,
        /// Time limit per file and solver.
        #[arg(long, default_value_t = 120.0, value_parser = crate::schedule::time_limit)]
        seconds: f64,
        /// The FET command-line solver.
        #[arg(long, default_value = "fet-cl")]
        fet_cl: String,
        /// Only files whose path contains this (repeatable: any of them).
        #[arg(long)]
        only: Vec<String>,
        /// Our solver's time for lowering the soft cost after its first feasible timetable
        /// (fet-cl stops at its first).
        #[arg(long, default_value_t = 10.0, value_parser = crate::schedule::duration)]
        polish: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// A large school's term end to end: 60 administrative classes, 150 teaching classes,
    /// 80 teachers (20 also at a second school), 40 rooms, 5 days × 3 periods — build the
    /// solver's instance from the database, solve, store the timetable and the dated
    /// lessons; then read the school's week timetable 100 times.
    Term {
        /// Database URL; default: a new SQLite file in the temporary folder, removed after.
        #[arg(long = "db", env = "KEHOU_DATABASE_URL")]
        database_url: Option<String>,
    },
    /// The enrollment rush over HTTP: 20 000 parents sign in through the API, then all
    /// select 1–3 of 200 classes of 30 seats at once; then the invariants are checked.
    Rush {
        /// Database URL; default: a new SQLite file in the temporary folder, removed after.
        #[arg(long = "db", env = "KEHOU_DATABASE_URL")]
        database_url: Option<String>,
        #[arg(long, default_value_t = 20_000)]
        students: usize,
        /// Server instances (`kehou serve` processes).
        #[arg(long, default_value_t = 1)]
        instances: usize,
        /// Put nginx (Debian package nginx) in front of the instances.
        #[arg(long)]
        nginx: bool,
        /// Concurrent client connections.
        #[arg(long, default_value_t = 200)]
        connections: usize,
    },
    /// Payments: orders paid through the sandbox, their notifications (some twice, out of
    /// order) posted at full speed; then the day's bill reconciled and everything checked.
    Payments {
        /// Database URL; default: a new SQLite file in the temporary folder, removed after.
        #[arg(long = "db", env = "KEHOU_DATABASE_URL")]
        database_url: Option<String>,
        #[arg(long, default_value_t = 20_000)]
        orders: usize,
        /// Concurrent deliveries.
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Share of notifications sent twice, in percent.
        #[arg(long, default_value_t = 10)]
        duplicate_percent: usize,
    },
    /// Attendance at 16:00: a 3 000-student school's 150 lessons start together; teachers
    /// check in and call the roll of 40 each while every parent's live page is open; then
    /// the school's and the bureau's reports of the term.
    Attendance {
        /// Database URL; default: a new SQLite file in the temporary folder, removed after.
        #[arg(long = "db", env = "KEHOU_DATABASE_URL")]
        database_url: Option<String>,
        #[arg(long, default_value_t = 3_000)]
        students: usize,
        #[arg(long, default_value_t = 150)]
        lessons: usize,
    },
    /// Personal data at city scale under one key: what each start and the 系统运行 page
    /// count, a backup and its restore, and a key rotation while parents sign in.
    Keys {
        /// Database URL; default: a new SQLite file in the temporary folder, removed after.
        #[arg(long = "db", env = "KEHOU_DATABASE_URL")]
        database_url: Option<String>,
        /// Students (each with an ID number and one parent with a phone number).
        #[arg(long, default_value_t = 300_000)]
        students: usize,
        /// Rows re-encrypted per transaction.
        #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        batch: u64,
    },
    /// Generate a workbook of students with guardians, import it into a new school, import
    /// it again (every row an update), and export it.
    Import {
        /// Number of students.
        #[arg(long, default_value_t = 50_000)]
        students: usize,
        /// Database URL; default: a new SQLite file in the temporary folder, removed after.
        #[arg(long = "db", env = "KEHOU_DATABASE_URL")]
        database_url: Option<String>,
    },
}

pub async fn run(command: BenchCommand) -> Result<()> {
    match command {
        BenchCommand::Schedule { seed, seconds } => crate::fetbench::generated(seed, seconds),
        BenchCommand::Fet {
            examples,
            seconds,
            fet_cl,
            only,
            polish,
            seed,
        } => crate::fetbench::run(&examples, seconds, &fet_cl, &only, polish, seed),
        BenchCommand::Import {
            students,
            database_url,
        } => import(students, database_url).await,
        BenchCommand::Term { database_url } => term(database_url).await,
        BenchCommand::Payments {
            database_url,
            orders,
            connections,
            duplicate_percent,
        } => crate::paybench::run(database_url, orders, connections, duplicate_percent).await,
        BenchCommand::Attendance {
            database_url,
            students,
            lessons,
        } => crate::attbench::run(database_url, students, lessons).await,
        BenchCommand::Keys {
            database_url,
            students,
            batch,
        } => crate::keybench::run(database_url, students, batch).await,
        BenchCommand::Rush {
            database_url,
            students,
            instances,
            nginx,
            connections,
        } => crate::rush::run(database_url, students, instances, nginx, connections).await,
    }
}

/// A temporary SQLite file unless a database is given; the engine's name.
async fn bench_app(
    database_url: Option<String>,
) -> Result<(App, &'static str, std::path::PathBuf)> {
    let temp = std::env::temp_dir().join(format!("kehou-bench-{}.db", std::process::id()));
    let url = database_url.unwrap_or_else(|| format!("sqlite://{}", temp.display()));
    let engine = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let db = kehou_store::connect(&url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open database: {e}"))?;
    let vault = Vault::from_hex(&Vault::generate_key()).map_err(describe)?;
    let app = App::with_database(db, Arc::new(SystemClock), Arc::new(vault))
        .await
        .map_err(describe)?;
    Ok((app, engine, temp))
}

fn remove_temp(temp: &std::path::Path) {
    if temp.exists() {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", temp.display()));
        }
    }
}

async fn term(database_url: Option<String>) -> Result<()> {
    let (app, engine, temp) = bench_app(database_url).await?;
    let r = kehou_service::system::bench_term::run(&app)
        .await
        .map_err(describe)?;
    println!(
        "{engine}: {} teaching classes, {} lessons a week, {} students; build {:.2} s, solve {:.2} s ({}), store with {} dated lessons {:.2} s; end to end {:.2} s",
        r.teaching_classes,
        r.weekly_lessons,
        r.students,
        r.build,
        r.solve,
        if r.feasible { "feasible" } else { "INFEASIBLE" },
        r.lessons,
        r.store,
        r.total
    );
    println!(
        "{engine}: the school's week timetable ({} entries) 100 times: p50 {:.1} ms, p95 {:.1} ms; peak memory {}",
        r.week_entries,
        r.week_p50_ms,
        r.week_p95_ms,
        memory()
    );
    remove_temp(&temp);
    anyhow::ensure!(r.feasible, "no timetable found");
    Ok(())
}

/// The process's peak resident memory (VmHWM) in MB, where /proc tells it.
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn memory() -> String {
    peak_memory_mb()
        .map(|m| format!("{m:.0} MB"))
        .unwrap_or_else(|| "unknown".into())
}

/// Student rows as the student import's workbook.
fn student_workbook(rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let headers: Vec<&str> = Kind::Students.columns().iter().map(|c| c.title).collect();
    sheet::workbook(&[SheetData {
        name: "学生及监护人",
        headers: &headers,
        rows,
    }])
    .map_err(describe)
}

/// A generated roster of `count` students in class 1 of each of the six grades, as an
/// import workbook (`kehou sample-roster`); each seed has guardian phones of its own.
pub fn roster_workbook(count: usize, prefix: &str, seed: u32) -> Result<Vec<u8>> {
    let classes: Vec<(u8, u8, usize)> = (1..=6u8)
        .map(|g| (g, 1, count / 6 + usize::from(usize::from(g) <= count % 6)))
        .collect();
    let rows = students(
        &RosterSpec {
            region: "442000",
            year: 2026,
            number_prefix: prefix,
            phone_block: 60 + seed,
            seed: u64::from(seed) * 7919,
        },
        &classes,
    );
    student_workbook(&rows)
}

async fn import(count: usize, database_url: Option<String>) -> Result<()> {
    let temp = std::env::temp_dir().join(format!("kehou-bench-{}.db", std::process::id()));
    let url = database_url.unwrap_or_else(|| format!("sqlite://{}", temp.display()));
    let engine = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let db = kehou_store::connect(&url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open database: {e}"))?;
    let vault = Vault::from_hex(&Vault::generate_key()).map_err(describe)?;
    let app = App::with_database(db, Arc::new(SystemClock), Arc::new(vault))
        .await
        .map_err(describe)?;
    let name = format!("基准测试学校{}", std::process::id());
    let classes_per_grade: u8 = 20;
    let school =
        kehou_service::system::demo::benchmark_school(&app, &name, i16::from(classes_per_grade))
            .await
            .map_err(describe)?;
    let classes: Vec<(u8, u8, usize)> = (1..=6u8)
        .flat_map(|g| (1..=classes_per_grade).map(move |n| (g, n)))
        .enumerate()
        .map(|(i, (g, n))| {
            let total_classes = 6 * usize::from(classes_per_grade);
            let size = count / total_classes + usize::from(i < count % total_classes);
            (g, n, size)
        })
        .collect();

    let started = Instant::now();
    let rows = students(
        &RosterSpec {
            region: "442000",
            year: 2026,
            number_prefix: "B",
            phone_block: 50,
            seed: 1,
        },
        &classes,
    );
    let bytes = student_workbook(&rows)?;
    let guardians: usize = rows
        .iter()
        .map(|r| 1 + usize::from(!r[11].is_empty()))
        .sum();
    println!(
        "{engine}: generated {} students with {guardians} guardians, workbook {:.1} MB, in {:.2} s",
        rows.len(),
        bytes.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    drop(rows);

    for (label, expect_created) in [
        ("first import (inserts)", true),
        ("re-import (updates)", false),
    ] {
        let started = Instant::now();
        let outcome = crate::import_file(
            &app,
            Kind::Students,
            school,
            bytes.clone(),
            Mode::AllOrNothing,
        )
        .await?;
        let seconds = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            outcome.committed && outcome.errors.is_empty(),
            "import rejected rows: {:?}",
            outcome.errors.first()
        );
        let changed = if expect_created {
            outcome.created
        } else {
            outcome.updated
        };
        anyhow::ensure!(changed == count, "{label}: {changed} rows of {count}");
        println!(
            "{engine}: {label}: {count} rows in {seconds:.2} s = {:.0} rows/s; peak memory so far {}",
            count as f64 / seconds,
            memory()
        );
    }

    let started = Instant::now();
    let rows = kehou_service::system::student_export_rows(&app, school)
        .await
        .map_err(describe)?;
    let exported = sheet::workbook(&[SheetData {
        name: "学生名单",
        headers: &kehou_service::school::student::export_headers(),
        rows: &rows,
    }])
    .map_err(describe)?;
    println!(
        "{engine}: export of {} rows to {:.1} MB in {:.2} s; peak memory {}",
        rows.len(),
        exported.len() as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        memory()
    );
    if temp.exists() {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", temp.display()));
        }
    }
    Ok(())
}
