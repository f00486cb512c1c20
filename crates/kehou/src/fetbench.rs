//! `kehou bench fet`: our solver against FET's `fet-cl` on FET's own example files.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use kehou_schedule::fet::{self, FetError};
use kehou_schedule::{Options, check, solve};

fn fet_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            fet_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "fet")
            && !path.to_string_lossy().contains("_data_and_timetable")
        {
            out.push(path);
        }
    }
    Ok(())
}

/// A file's path below the examples folder, as the table names it.
fn relative(examples: &Path, file: &Path) -> String {
    file.strip_prefix(examples)
        .unwrap_or(file)
        .display()
        .to_string()
}

/// Runs fet-cl with a time limit; the seconds until it reported success, if it did.
fn run_fet_cl(fet_cl: &str, file: &Path, seconds: f64) -> Result<Option<f64>> {
    let out = std::env::temp_dir().join(format!("kehou-fetbench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    let started = Instant::now();
    let mut child = Command::new(fet_cl)
        .arg(format!("--inputfile={}", file.display()))
        .arg(format!("--outputdir={}", out.display()))
        .arg(format!("--timelimitseconds={}", seconds.ceil()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {fet_cl} (Debian package fet)"))?;
    // fet-cl honours its limit; this is only a guard against a hang.
    let guard = Duration::from_secs_f64(seconds + 30.0);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() > guard {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed().as_secs_f64();
    let mut stdout = String::new();
    if let Some(mut s) = child.stdout.take() {
        use std::io::Read;
        let _ = s.read_to_string(&mut stdout);
    }
    let _ = std::fs::remove_dir_all(&out);
    let ok = status.is_some_and(|s| s.success()) && stdout.contains("Simulation successful");
    Ok(ok.then_some(elapsed))
}

pub fn run(
    examples: &Path,
    seconds: f64,
    fet_cl: &str,
    only: &[String],
    polish: f64,
    seed: u64,
) -> Result<()> {
    let mut files = Vec::new();
    fet_files(examples, &mut files)?;
    files.sort();
    if files.is_empty() {
        bail!("no .fet files under {}", examples.display());
    }
    if !only.is_empty() {
        files.retain(|f| {
            only.iter()
                .any(|o| relative(examples, f).contains(o.as_str()))
        });
        if files.is_empty() {
            bail!("no example file matches --only {}", only.join(" --only "));
        }
    }
    println!(
        "| file | activities | ours | ours first feasible (s) | soft cost | fet-cl | fet-cl (s) | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let (mut ratios, mut in_set, mut skipped) = (Vec::new(), 0, 0);
    let (mut ours_solved, mut fet_solved, mut missed) = (0, 0, Vec::new());
    for file in &files {
        let name = relative(examples, file);
        let xml = std::fs::read_to_string(file).unwrap_or_default();
        let inst = match fet::read(&xml) {
            Ok(inst) => inst,
            Err(FetError::Unsupported(_)) => {
                skipped += 1;
                continue;
            }
            Err(e) => {
                println!("| {name} | – | unreadable: {e} | | | | | |");
                in_set += 1;
                continue;
            }
        };
        in_set += 1;
        let options = Options {
            seconds,
            seed,
            max_iterations: None,
            polish_seconds: Some(polish),
        };
        let solution = solve(&inst, &options, &mut |_| {});
        let report = check(&inst, &solution.placements);
        let ours = solution.first_feasible.filter(|_| report.feasible());
        let theirs = run_fet_cl(fet_cl, file, seconds)?;
        ours_solved += usize::from(ours.is_some());
        fet_solved += usize::from(theirs.is_some());
        if theirs.is_some() && ours.is_none() {
            missed.push(name.clone());
        }
        let ratio = match (ours, theirs) {
            (Some(o), Some(t)) => {
                // Both are wall-clock; floor at 10 ms so instant solves compare sanely.
                let r = o.max(0.01) / t.max(0.01);
                ratios.push(r);
                format!("{r:.2}")
            }
            _ => "–".into(),
        };
        let show = |t: Option<f64>| t.map(|t| format!("{t:.2}")).unwrap_or_else(|| "–".into());
        println!(
            "| {name} | {} | {} | {} | {:.1} | {} | {} | {ratio} |",
            inst.activities.len(),
            if ours.is_some() {
                "solved"
            } else {
                "not solved"
            },
            show(ours),
            report.soft_cost,
            if theirs.is_some() {
                "solved"
            } else {
                "not solved"
            },
            show(theirs),
        );
    }
    ratios.sort_by(|a, b| a.total_cmp(b));
    let median = match ratios.len() {
        0 => "–".to_string(),
        k if k % 2 == 1 => format!("{:.2}", ratios[k / 2]),
        k => format!("{:.2}", (ratios[k / 2 - 1] + ratios[k / 2]) / 2.0),
    };
    println!();
    println!(
        "files in the set: {in_set} (skipped with other constraint types: {skipped}); solved: ours {ours_solved}, fet-cl {fet_solved}; median ratio ours/fet-cl over files both solved: {median}; time limit {seconds} s"
    );
    if !missed.is_empty() {
        println!("solved by fet-cl but not by us: {}", missed.join(", "));
    }
    Ok(())
}

/// A generated after-school term of a large school, solved and checked.
pub fn generated(seed: u64, seconds: f64) -> Result<()> {
    use kehou_schedule::model::{Activity, Constraint, Instance, Room, Rule, StudentSet};
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        usize::try_from(x % n as u64).unwrap_or(0)
    };
    let (students, classes, teachers, rooms) = (3000, 420, 120, 60);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for s in 0..students {
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < 2 + next(2) {
            let c = next(classes);
            if !chosen.contains(&c) {
                chosen.push(c);
            }
        }
        for c in chosen {
            members[c].push(s);
        }
    }
    let all_rooms: Vec<usize> = (0..rooms).collect();
    let mut inst = Instance {
        name: "generated after-school term".into(),
        days: ["周一", "周二", "周三", "周四", "周五"]
            .map(String::from)
            .to_vec(),
        hours: ["课后一", "课后二", "晚托"].map(String::from).to_vec(),
        teachers: (0..teachers).map(|t| format!("教师{t:03}")).collect(),
        subjects: Vec::new(),
        tags: Vec::new(),
        sets: (0..students)
            .map(|s| StudentSet {
                name: format!("学生{s:04}"),
                size: 1,
                parents: Vec::new(),
            })
            .collect(),
        rooms: (0..rooms)
            .map(|r| Room {
                name: format!("场室{r:02}"),
                capacity: 45,
            })
            .collect(),
        activities: Vec::new(),
        constraints: vec![Constraint {
            rule: Rule::Basic,
            weight: 100.0,
            origin: "basic".into(),
        }],
    };
    for (c, list) in members.iter().enumerate() {
        inst.activities.push(Activity {
            id: u32::try_from(c + 1).unwrap_or(0),
            group: 0,
            duration: 1,
            teachers: vec![c % teachers],
            subject: None,
            tags: Vec::new(),
            sets: list.clone(),
            size: u32::try_from(list.len()).unwrap_or(u32::MAX),
            placement: None,
            locked: false,
        });
    }
    inst.constraints.push(Constraint {
        rule: Rule::PreferredRooms {
            activities: (0..classes).collect(),
            rooms: all_rooms,
        },
        weight: 100.0,
        origin: "rooms".into(),
    });
    let started = Instant::now();
    let solution = solve(
        &inst,
        &Options {
            seconds,
            seed,
            max_iterations: None,
            polish_seconds: None,
        },
        &mut |_| {},
    );
    let elapsed = started.elapsed().as_secs_f64();
    let report = check(&inst, &solution.placements);
    println!(
        "generated term: {} students, {} classes, {} teachers, {} rooms, 15 periods: {} in {elapsed:.2} s (first feasible {}), checker: {} hard violations",
        students,
        classes,
        teachers,
        rooms,
        if solution.feasible() {
            "feasible"
        } else {
            "infeasible"
        },
        solution
            .first_feasible
            .map(|t| format!("{t:.2} s"))
            .unwrap_or_else(|| "–".into()),
        report.hard.len()
    );
    for b in &solution.blocking {
        println!("  {b}");
    }
    Ok(())
}
