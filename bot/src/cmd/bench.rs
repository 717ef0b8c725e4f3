//! `talk-to-edit bench generator`: candle's CPU (or CUDA) time per 1024x1024 face beside the
//! OpenVINO reference's, measured in the same run on the same machine, printed as a ratio; plus
//! the process's peak resident memory.

use anyhow::{bail, Context};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    target: Target,
}

#[derive(clap::Subcommand)]
enum Target {
    /// Mapping + synthesis of one face, batch 1.
    Generator(GeneratorArgs),
}

#[derive(clap::Args)]
struct GeneratorArgs {
    /// Timed runs (median reported) after one warm-up.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// CPU threads for both candle and OpenVINO.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Python with openvino installed (default: .venv-reference/bin/python if present, else python3).
    #[arg(long)]
    python: Option<PathBuf>,
    /// The reference script (default: ../shared/reference/reference_openvino.py).
    #[arg(long)]
    reference_script: Option<PathBuf>,
    /// Only time candle.
    #[arg(long)]
    no_reference: bool,
    /// Converted generator weights (default: the model cache's).
    #[arg(long)]
    weights: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.target {
        Target::Generator(a) => bench_generator(a),
    }
}

fn median_and_min(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[0])
}

/// Peak resident set size of this process in MiB (Linux `VmHWM`).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Times and returns (mapping median, synthesis median, synthesis min) in ms.
fn time_candle(args: &GeneratorArgs) -> anyhow::Result<(f64, f64, f64)> {
    let generator = crate::loading::generator(args.weights.clone())?;
    let z = generator.z_from_seed(0)?;
    let w = generator.mapping.forward(&z)?;
    let sync = |t: &candle_core::Tensor| t.device().synchronize();
    let _ = generator.synthesize(&w)?; // warm-up
    let (mut map_ms, mut syn_ms) = (Vec::new(), Vec::new());
    for _ in 0..args.runs {
        let t0 = Instant::now();
        let w = generator.mapping.forward(&z)?;
        sync(&w)?;
        map_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        let t0 = Instant::now();
        let img = generator.synthesize(&w)?;
        sync(&img)?;
        syn_ms.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let (syn_med, syn_min) = median_and_min(syn_ms);
    Ok((median_and_min(map_ms).0, syn_med, syn_min))
}

/// Runs the OpenVINO reference and parses its mapping and synthesis medians (ms).
fn time_openvino(args: &GeneratorArgs) -> anyhow::Result<(f64, f64, f64)> {
    let python = args.python.clone().unwrap_or_else(|| {
        let venv = PathBuf::from(".venv-reference/bin/python");
        if venv.is_file() {
            venv
        } else {
            PathBuf::from("python3")
        }
    });
    let script = args
        .reference_script
        .clone()
        .unwrap_or_else(|| PathBuf::from("../shared/reference/reference_openvino.py"));
    if !script.is_file() {
        bail!(
            "reference script not found at {} (pass --reference-script)",
            script.display()
        );
    }
    let store = models::ModelStore::open_default()?;
    let ir_dir = store.mobilestylegan_ir_dir()?;
    let out = Command::new(&python)
        .arg(&script)
        .args([
            "--bench",
            &args.runs.to_string(),
            "--threads",
            &args.threads.to_string(),
        ])
        .arg("--model-dir")
        .arg(&ir_dir)
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "the OpenVINO reference failed (set it up with `bash scripts/setup-reference.sh`): {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
    }
    // "threads=2 (used 2): mapping median 0.41 ms (min 0.39), synthesis median 452.1 ms (min 440.0), ..."
    let number_after = |key: &str| -> Option<f64> {
        let rest = &text[text.find(key)? + key.len()..];
        rest.split_whitespace()
            .next()?
            .trim_end_matches(',')
            .parse()
            .ok()
    };
    match (
        number_after("mapping median"),
        number_after("synthesis median"),
        number_after("ms (min"),
    ) {
        (Some(m), Some(s), _) => {
            let syn_min = text
                .split("synthesis median")
                .nth(1)
                .and_then(|r| r.split("(min ").nth(1))
                .and_then(|r| r.split(')').next())
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(s);
            Ok((m, s, syn_min))
        }
        _ => bail!("could not read the reference's timings from: {text}"),
    }
}

fn bench_generator(args: GeneratorArgs) -> anyhow::Result<()> {
    if args.runs == 0 || args.threads == 0 {
        bail!("--runs and --threads must be at least 1");
    }
    // candle's matmul and the kernels use rayon's global pool, sized from this variable.
    std::env::set_var("RAYON_NUM_THREADS", args.threads.to_string());
    let device = crate::loading::device()?;
    let (c_map, c_syn, c_syn_min) = time_candle(&args)?;
    let rss = peak_rss_mib();
    println!(
        "generator benchmark: batch 1, 1024x1024, {} threads, median of {} runs after 1 warm-up",
        args.threads, args.runs
    );
    println!(
        "{:<22} {:>14} {:>16} {:>14}",
        "", "mapping ms", "synthesis ms", "synth min ms"
    );
    println!(
        "{:<22} {:>14.2} {:>16.1} {:>14.1}",
        format!("candle ({})", if device.is_cuda() { "cuda" } else { "cpu" }),
        c_map,
        c_syn,
        c_syn_min
    );
    if let Some(rss) = rss {
        println!("candle peak resident memory: {rss:.0} MiB");
    }
    if args.no_reference {
        return Ok(());
    }
    let (o_map, o_syn, o_syn_min) = time_openvino(&args)?;
    println!(
        "{:<22} {:>14.2} {:>16.1} {:>14.1}",
        "openvino (cpu)", o_map, o_syn, o_syn_min
    );
    println!(
        "ratio candle/openvino: synthesis median {:.2}x (min {:.2}x), goal <= 1.50x",
        c_syn / o_syn,
        c_syn_min / o_syn_min
    );
    Ok(())
}
