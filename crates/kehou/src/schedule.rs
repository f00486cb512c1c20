//! `kehou schedule …`: solve and check FET files from the command line.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use kehou_schedule::{Options, check, fet, solve};

#[derive(Subcommand)]
pub enum ScheduleCommand {
    /// Find a timetable for a FET file; prints feasible or infeasible, the soft cost and the time.
    Solve {
        file: PathBuf,
        /// Time limit in seconds.
        #[arg(long, default_value_t = 60.0, value_parser = time_limit)]
        seconds: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write the file back with the timetable locked.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify the placements a FET file holds (its locked starting times and rooms).
    Check { file: PathBuf },
}

fn read(file: &PathBuf) -> Result<(String, kehou_schedule::Instance)> {
    let xml =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let inst = fet::read(&xml).with_context(|| format!("{}", file.display()))?;
    Ok((xml, inst))
}

pub fn run(command: ScheduleCommand) -> Result<()> {
    match command {
        ScheduleCommand::Solve {
            file,
            seconds,
            seed,
            out,
        } => {
            let (xml, inst) = read(&file)?;
            let started = Instant::now();
            let options = Options {
                seconds,
                seed,
                max_iterations: None,
                polish_seconds: None,
            };
            // Progress on standard error, once a second, so that a long run shows it is alive.
            let mut shown = 0.0;
            let solution = solve(&inst, &options, &mut |p| {
                if p.elapsed - shown >= 1.0 {
                    shown = p.elapsed;
                    eprintln!(
                        "{:>6.1}s  hard {}  soft {:.1}  steps {}",
                        p.elapsed, p.hard, p.soft, p.iterations
                    );
                }
            });
            let report = check(&inst, &solution.placements);
            // The independent checker has the last word.
            let feasible = report.feasible();
            if feasible != solution.feasible() {
                bail!(
                    "solver and checker disagree: solver {} hard violations, checker {}",
                    solution.hard,
                    report.hard.len()
                );
            }
            println!(
                "{} activities={} soft_cost={:.2} time={:.2}s first_feasible={} iterations={}",
                if feasible { "feasible" } else { "infeasible" },
                inst.activities.len(),
                report.soft_cost,
                started.elapsed().as_secs_f64(),
                solution
                    .first_feasible
                    .map(|t| format!("{t:.2}s"))
                    .unwrap_or_else(|| "-".into()),
                solution.iterations
            );
            for line in &solution.blocking {
                println!("  {line}");
            }
            if let Some(out) = out
                && feasible
            {
                let written = fet::write_locked(&xml, &inst, &solution.placements)?;
                std::fs::write(&out, written)
                    .with_context(|| format!("cannot write {}", out.display()))?;
                println!("written: {}", out.display());
            }
            if !feasible {
                std::process::exit(2);
            }
            Ok(())
        }
        ScheduleCommand::Check { file } => {
            let (_, inst) = read(&file)?;
            let placements: Vec<_> = inst.activities.iter().map(|a| a.placement).collect();
            let report = check(&inst, &placements);
            println!(
                "{} hard={} soft_cost={:.2}",
                if report.feasible() {
                    "valid"
                } else {
                    "invalid"
                },
                report.hard.len(),
                report.soft_cost
            );
            for v in report.hard.iter().take(50) {
                println!("  [{}] {}", v.origin, v.message);
            }
            if report.hard.len() > 50 {
                println!("  … {} more", report.hard.len() - 50);
            }
            if !report.feasible() {
                std::process::exit(2);
            }
            Ok(())
        }
    }
}

/// A time limit in seconds: a number above zero.
pub fn time_limit(text: &str) -> Result<f64, String> {
    seconds(text)
        .filter(|s| *s > 0.0)
        .ok_or_else(|| format!("{text:?} is not a number of seconds above zero"))
}

/// A duration in seconds that may be zero.
pub fn duration(text: &str) -> Result<f64, String> {
    seconds(text).ok_or_else(|| format!("{text:?} is not a number of seconds (0 or more)"))
}

fn seconds(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
}
