//! `talk-to-edit chat` (placeholder until its issue lands).

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`chat` is not built yet")
}
