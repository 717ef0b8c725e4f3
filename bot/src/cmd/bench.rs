//! `talk-to-edit bench generator`: candle's CPU (or CUDA) time per 1024x1024 face beside the
//! OpenVINO reference's, measured in the same run on the same machine, printed as a ratio; plus
//! the process's peak resident memory. `talk-to-edit bench parse`: the language parser's time
//! per request over the natural development set and the held-out generated split, beside the
//! 5 ms goal as a ratio.

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
    /// Mapping + synthesis: ms per face at each batch size, beside OpenVINO's.
    Generator(GeneratorArgs),
    /// The generator on this build's device against the reference fixtures (PSNR per seed).
    Parity(ParityArgs),
    /// One-degree edits through the product engine (the guarded loop), from the request to the
    /// final 1024 px image: seconds per edit beside the 2 s goal.
    Edit(EditArgs),
    /// `parse` per request (median, p95) on the natural dev set and the generated held-out split.
    Parse(ParseArgs),
    /// Photo upload -> first reply (decode, inversion, degrees, the reply's image) through the
    /// product engine, with the product's inversion settings beside the first ones (24 steps).
    Upload(UploadArgs),
}

#[derive(clap::Args)]
struct UploadArgs {
    /// Photos: every n-th of the model cache's measured CelebA half (felonfinder package).
    #[arg(long, default_value_t = 25)]
    every: usize,
    /// The goal in seconds per upload (printed as a ratio).
    #[arg(long, default_value_t = 6.0)]
    goal: f64,
}

#[derive(clap::Args)]
struct EditArgs {
    /// Faces: seeds 1000, 1001, ... at the product's truncation (0.7).
    #[arg(long, default_value_t = 4)]
    faces: u64,
    /// The goal in seconds per one-degree edit (printed as a ratio).
    #[arg(long, default_value_t = 2.0)]
    goal: f64,
}

#[derive(clap::Args)]
struct ParseArgs {
    /// Timed passes over each set (after one warm-up pass).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Language encoder weights (default: `TALK_TO_EDIT_LANGUAGE` or the committed ones).
    #[arg(long)]
    weights: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ParityArgs {
    /// The reference fixtures (seedN_z.npy, seedN_w.npy, seedN_img_center256.npy, seedN.png).
    #[arg(long, default_value = "tests/fixtures/reference")]
    fixtures: PathBuf,
    /// Seeds to check (the fixtures hold 0-3).
    #[arg(long, default_values_t = [0, 1, 2, 3])]
    seed: Vec<u64>,
    /// Fail below this PSNR (dB) on any seed. f32 weights give about 50 dB on the CPU; f16
    /// weights lose a few.
    #[arg(long, default_value_t = 35.0)]
    min_psnr: f64,
    /// Converted generator weights (default: the model cache's).
    #[arg(long)]
    weights: Option<PathBuf>,
}

#[derive(clap::Args)]
struct GeneratorArgs {
    /// Timed runs (median reported) after warm-up.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// CPU threads for both candle and OpenVINO.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Batch sizes to time (faces per synthesis call), e.g. `--batch 1 --batch 4`.
    #[arg(long, default_values_t = [1])]
    batch: Vec<usize>,
    /// Python with openvino installed (default: .venv-reference/bin/python if present, else python3).
    #[arg(long)]
    python: Option<PathBuf>,
    /// The reference runner (default: scripts/reference_openvino.py).
    #[arg(long, default_value = "scripts/reference_openvino.py")]
    reference_script: PathBuf,
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
        Target::Parity(a) => parity(a),
        Target::Edit(a) => bench_edit(a),
        Target::Parse(a) => bench_parse(a),
        Target::Upload(a) => bench_upload(a),
    }
}

/// Upload -> first reply with the first inversion settings (24 refinement steps, identity term
/// every 3rd) and the product's, photo by photo in turn (so both see the same machine load).
fn bench_upload(args: UploadArgs) -> anyhow::Result<()> {
    use crate::face_engine::{PRODUCT_IDENTITY_EVERY, PRODUCT_REFINE_STEPS};
    use engine::dialog::FaceEngine;
    use engine::inversion::invert::TransferMode;
    let photos = crate::loading::measured_photos(args.every.max(1), None, 0)?;
    let mut engine = crate::face_engine::ProductFaceEngine::load(None, 512)?;
    let settings = [
        (
            "first (24 steps, identity every 3)",
            24,
            3,
            TransferMode::WholeFace,
        ),
        (
            "product",
            PRODUCT_REFINE_STEPS,
            PRODUCT_IDENTITY_EVERY,
            TransferMode::Delta,
        ),
    ];
    let mut seconds = vec![Vec::new(); settings.len()];
    let mut identity = vec![Vec::new(); settings.len()];
    for path in &photos {
        let bytes = std::fs::read(path)?;
        for (i, &(name, steps, every, mode)) in settings.iter().enumerate() {
            engine.set_refine(steps, every);
            let clock = Instant::now();
            // Decoded once; the timing includes the decode.
            let photo = engine::perception::load_photo_bytes(&bytes, "the photo")?;
            let start = engine.invert_image(&photo, &mut |_| {})?;
            // The degrees of the first reply: the first engine read the render; the product
            // reads a photo's degrees in the photo (the bot's `PhotoSession::degrees`).
            let _degrees = match mode {
                TransferMode::WholeFace => engine.degrees(&start.latent)?,
                _ => engine.photo_degrees(
                    crate::face_engine::PhotoView {
                        photo: &photo,
                        paste: &start.paste,
                        original: &start.latent,
                        edited: &[],
                    },
                    &start.latent,
                )?,
            };
            let shown = engine.show_in_photo(
                &photo,
                &start.paste,
                &start.latent,
                &start.latent,
                None,
                mode,
                &[],
            )?;
            let png = crate::discord::replies::result_png(&shown)?;
            let s = clock.elapsed().as_secs_f64();
            println!(
                "{} {name}: {s:.2} s, identity cos of the render {:.3}, reply {} KiB",
                path.file_name().unwrap_or_default().to_string_lossy(),
                start.identity_cos,
                png.len() / 1024
            );
            seconds[i].push(s);
            identity[i].push(start.identity_cos as f64);
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "upload -> first reply over {} photos (load average {}):",
        photos.len(),
        load.split_whitespace().next().unwrap_or("?")
    );
    for (i, (name, ..)) in settings.iter().enumerate() {
        let (s, id) = (&mut seconds[i], &mut identity[i]);
        s.sort_by(f64::total_cmp);
        id.sort_by(f64::total_cmp);
        let n = s.len().max(1);
        let median = s.get(n / 2).copied().unwrap_or(f64::NAN);
        println!(
            "  {name:<36} median {median:.2} s ({:.2}x goal {:.0} s), p90 {:.2} s; render identity cos median {:.3}",
            median / args.goal,
            args.goal,
            s.get((n * 9 / 10).min(n - 1)).copied().unwrap_or(f64::NAN),
            id.get(n / 2).copied().unwrap_or(f64::NAN),
        );
    }
    Ok(())
}

/// Every attribute one degree up (down from 5) on each face: the edit and one 1024 px render.
fn bench_edit(args: EditArgs) -> anyhow::Result<()> {
    use engine::dialog::FaceEngine;
    let engine = crate::face_engine::ProductFaceEngine::load(None, 1024)?;
    let mut seconds = Vec::new();
    let mut reached = 0;
    for seed in 1000..1000 + args.faces {
        let latent = engine.start_from_seed(seed)?;
        let degrees = engine.degrees(&latent)?;
        for (&attribute, &degree) in &degrees {
            let target = if degree < 5 { degree + 1 } else { 4 };
            let clock = Instant::now();
            let outcome = engine.edit(&latent, attribute, target);
            let image = match &outcome {
                Ok(o) => engine.render(&o.latent)?,
                Err(_) => engine.render(&latent)?,
            };
            let s = clock.elapsed().as_secs_f64();
            anyhow::ensure!(image.width() == 1024, "the final image is 1024 px");
            if matches!(&outcome, Ok(o) if o.stopped_short.is_none()) {
                reached += 1;
            }
            println!(
                "seed {seed} {attribute} {degree} -> {target}: {s:.2} s ({})",
                match &outcome {
                    Ok(o) if o.stopped_short.is_none() => "reached".to_string(),
                    Ok(o) => format!("stopped at {}", o.reached),
                    Err(e) => format!("refused: {e}"),
                }
            );
            seconds.push(s);
        }
    }
    let n = seconds.len();
    seconds.sort_by(f64::total_cmp);
    let median = seconds[n / 2];
    println!(
        "one-degree edit, request to 1024 px image: median {median:.2} s, p90 {:.2} s over {n} edits ({reached} reached); goal {:.1} s: ratio {:.2}",
        seconds[(n * 9 / 10).min(n - 1)],
        args.goal,
        median / args.goal
    );
    if let Some(mib) = peak_rss_mib() {
        println!("peak resident memory {mib:.0} MiB");
    }
    Ok(())
}

/// Times `parse` per request on the natural development sets and the held-out generated split
/// (regenerated from the weights' training seed).
fn bench_parse(args: ParseArgs) -> anyhow::Result<()> {
    use engine::language::speed::{time_parse, PARSE_GOAL_MS};
    use engine::language::train;
    let encoder = match &args.weights {
        Some(path) => engine::language::LanguageEncoder::load(path)?,
        None => engine::language::LanguageEncoder::load_default()?,
    };
    let dev_path = train::natural_dev_path();
    let dev =
        train::load_cases(&dev_path).with_context(|| format!("reading {}", dev_path.display()))?;
    let dev3_path = train::natural3_dev_path();
    let dev3 = train::load_cases(&dev3_path)
        .with_context(|| format!("reading {}", dev3_path.display()))?;
    let generated = train::heldout_cases(&encoder).context("regenerating the held-out split")?;
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "default".into());
    // Other processes on the same cores inflate the tail: the load average says how busy it was.
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    println!(
        "parse per request, {} timed passes, CPU, RAYON_NUM_THREADS={threads}, load average {load}; goal {PARSE_GOAL_MS} ms",
        args.rounds
    );
    for (name, cases) in [
        ("natural dev", &dev),
        ("natural3 dev", &dev3),
        ("generated held-out", &generated),
    ] {
        let Some(t) = time_parse(&encoder, cases, args.rounds.max(1)) else {
            bail!("the {name} set is empty");
        };
        println!(
            "{name:<20} n={:<5} median {:.2} ms ({:.2}x goal)  p95 {:.2} ms ({:.2}x goal)  mean {:.2} ms  max {:.2} ms",
            cases.len(),
            t.median_ms,
            t.median_ratio(),
            t.p95_ms,
            t.p95_ratio(),
            t.mean_ms,
            t.max_ms
        );
    }
    Ok(())
}

/// Renders each seed's reference w and compares it with the reference: w from the seed's z
/// (max abs error), the raw centre 256x256 (max abs error) and the whole PNG (PSNR, worst level).
fn parity(args: ParityArgs) -> anyhow::Result<()> {
    use engine::generator::{psnr_and_max, to_rgb_images};
    let generator = crate::loading::generator(args.weights.clone())?;
    let device = generator.device().clone();
    let read = |name: String| {
        let path = args.fixtures.join(name);
        engine::npy::read(&path).with_context(|| format!("reading {}", path.display()))
    };
    let mut worst_psnr = f64::INFINITY;
    for &seed in &args.seed {
        let z = read(format!("seed{seed}_z.npy"))?;
        let z = candle_core::Tensor::from_vec(z.data, (1, 512), &device)?;
        let w_ref = read(format!("seed{seed}_w.npy"))?;
        let w_ref = candle_core::Tensor::from_vec(w_ref.data, (1, 512), &device)?;
        let w_err = engine::generator::max_abs_diff(&generator.mapping.forward(&z)?, &w_ref)?;
        let raw = generator.synthesize(&w_ref)?;
        let centre_ref = read(format!("seed{seed}_img_center256.npy"))?;
        let centre_ref = candle_core::Tensor::from_vec(centre_ref.data, (1, 3, 256, 256), &device)?;
        let centre = raw.narrow(2, 384, 256)?.narrow(3, 384, 256)?;
        let c_err = engine::generator::max_abs_diff(&centre, &centre_ref)?;
        let png_path = args.fixtures.join(format!("seed{seed}.png"));
        let png_ref = image::open(&png_path)
            .with_context(|| format!("reading {}", png_path.display()))?
            .to_rgb8();
        let (psnr, worst) = psnr_and_max(&to_rgb_images(&raw)?[0], &png_ref);
        worst_psnr = worst_psnr.min(psnr);
        println!(
            "parity seed {seed}: w max err {w_err:.1e}, raw centre max err {c_err:.1e}, PNG PSNR {psnr:.1} dB, worst pixel {worst} levels"
        );
    }
    println!(
        "parity on {}: worst PSNR {worst_psnr:.1} dB over {} seeds",
        if device.is_cuda() { "cuda" } else { "cpu" },
        args.seed.len()
    );
    if worst_psnr < args.min_psnr {
        bail!(
            "PSNR {worst_psnr:.1} dB is below --min-psnr {}",
            args.min_psnr
        );
    }
    Ok(())
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

/// One engine's times for one batch size, in ms per call (not per face).
struct Timing {
    mapping_median: f64,
    synthesis_median: f64,
    synthesis_min: f64,
}

/// Times candle's mapping and synthesis of `batch` faces (seeds 0..batch).
fn time_candle(
    generator: &engine::generator::Generator,
    batch: usize,
    runs: usize,
) -> anyhow::Result<Timing> {
    let zs = (0..batch as u64)
        .map(|s| generator.z_from_seed(s))
        .collect::<Result<Vec<_>, _>>()?;
    let z = candle_core::Tensor::cat(&zs, 0)?;
    let w = generator.mapping.forward(&z)?;
    let sync = |t: &candle_core::Tensor| t.device().synchronize();
    sync(&generator.synthesize(&w)?)?; // warm-up
    let (mut map_ms, mut syn_ms) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t0 = Instant::now();
        let w = generator.mapping.forward(&z)?;
        sync(&w)?;
        map_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        let t0 = Instant::now();
        let img = generator.synthesize(&w)?;
        sync(&img)?;
        syn_ms.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let (synthesis_median, synthesis_min) = median_and_min(syn_ms);
    Ok(Timing {
        mapping_median: median_and_min(map_ms).0,
        synthesis_median,
        synthesis_min,
    })
}

/// Runs `scripts/reference_openvino.py bench` and reads its JSON line.
fn time_openvino(args: &GeneratorArgs, batch: usize) -> anyhow::Result<Timing> {
    let python = args.python.clone().unwrap_or_else(|| {
        let venv = PathBuf::from(".venv-reference/bin/python");
        if venv.is_file() {
            venv
        } else {
            PathBuf::from("python3")
        }
    });
    if !args.reference_script.is_file() {
        bail!(
            "reference runner not found at {} (run from the repository root, or pass --reference-script)",
            args.reference_script.display()
        );
    }
    let store = models::ModelStore::open_default()?;
    let ir_dir = store.mobilestylegan_ir_dir()?;
    let out = Command::new(&python)
        .arg(&args.reference_script)
        .arg("--model-dir")
        .arg(&ir_dir)
        .args(["--threads", &args.threads.to_string()])
        .args(["bench", "--runs", &args.runs.to_string()])
        .args(["--batch", &batch.to_string()])
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    if !out.status.success() {
        bail!(
            "the OpenVINO reference failed (set it up with `bash scripts/setup-reference.sh`): {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or("");
    let v: serde_json::Value = serde_json::from_str(line)
        .with_context(|| format!("reading the reference's timings from: {text}"))?;
    let field = |k: &str| {
        v[k].as_f64()
            .with_context(|| format!("no `{k}` in the reference's output: {line}"))
    };
    Ok(Timing {
        mapping_median: field("mapping_ms_median")?,
        synthesis_median: field("synthesis_ms_median")?,
        synthesis_min: field("synthesis_ms_min")?,
    })
}

fn print_row(name: &str, batch: usize, t: &Timing) {
    let b = batch as f64;
    println!(
        "{name:<16} {batch:>5} {:>16.2} {:>20.1} {:>18.1}",
        t.mapping_median / b,
        t.synthesis_median / b,
        t.synthesis_min / b
    );
}

fn bench_generator(args: GeneratorArgs) -> anyhow::Result<()> {
    if args.runs == 0 || args.threads == 0 || args.batch.contains(&0) {
        bail!("--runs, --threads and --batch must be at least 1");
    }
    // candle's matmul and the kernels use rayon's global pool, sized from this variable.
    std::env::set_var("RAYON_NUM_THREADS", args.threads.to_string());
    let generator = crate::loading::generator(args.weights.clone())?;
    let device = if generator.device().is_cuda() {
        "cuda"
    } else {
        "cpu"
    };
    println!(
        "generator benchmark: 1024x1024, {} CPU threads, median of {} runs after a warm-up; ms per face",
        args.threads, args.runs
    );
    println!(
        "{:<16} {:>5} {:>16} {:>20} {:>18}",
        "", "batch", "mapping ms/face", "synthesis ms/face", "synth min ms/face"
    );
    for &batch in &args.batch {
        let candle = time_candle(&generator, batch, args.runs)?;
        print_row(&format!("candle ({device})"), batch, &candle);
        if args.no_reference {
            continue;
        }
        let openvino = time_openvino(&args, batch)?;
        print_row("openvino (cpu)", batch, &openvino);
        println!(
            "{:<16} {batch:>5} ratio candle/openvino: synthesis median {:.2}x (min {:.2}x)",
            "",
            candle.synthesis_median / openvino.synthesis_median,
            candle.synthesis_min / openvino.synthesis_min
        );
    }
    if let Some(rss) = peak_rss_mib() {
        println!("candle process peak resident memory: {rss:.0} MiB");
    }
    Ok(())
}
