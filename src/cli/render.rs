//! `hsm render kubernetes [--out DIR] [--image SERVICE=REF]... [--frozen]`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::Subcommand;

use super::Format;
use super::output::outln;
use crate::error::{Error, ErrorKind};
use crate::ops::Workspace;
use crate::ops::render_kubernetes::{RenderOptions, RenderOutcome, render};

#[derive(Debug, Subcommand)]
pub enum RenderCommand {
    /// Write the stack as a kustomize directory: `base/` and `overlays/dev|prod`, for
    /// `kubectl apply -k DIR/overlays/prod`. Replaces only the files hsm wrote there.
    Kubernetes {
        /// The directory, relative to the project root.
        #[arg(long, default_value = crate::render::kubernetes::DEFAULT_OUT)]
        out: String,
        /// The image a service runs, instead of its prod image (repeatable); needed for a
        /// service that is only built from source.
        #[arg(long, value_name = "SERVICE=REF")]
        image: Vec<String>,
        /// Render what hsm.lock records, without solving.
        #[arg(long)]
        frozen: bool,
    },
}

pub fn run(ctx: &Workspace, command: &RenderCommand) -> Result<ExitCode, Error> {
    let RenderCommand::Kubernetes { out, image, frozen } = command;
    let mut images = BTreeMap::new();
    for given in image {
        let Some((service, reference)) = given
            .split_once('=')
            .filter(|(s, r)| !s.is_empty() && !r.is_empty())
        else {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("--image {given}: expected SERVICE=IMAGE"),
            )
            .with_help("e.g. `--image api=ghcr.io/me/api:1.0`"));
        };
        images.insert(service.to_string(), reference.to_string());
    }
    let options = RenderOptions {
        out: Some(out.clone()),
        images,
        frozen: *frozen,
    };
    match render(ctx, &options)? {
        RenderOutcome::Conflict(conflict) => super::output::conflict(&conflict, Format::Text),
        RenderOutcome::Rendered {
            out,
            written,
            removed,
            missing_secrets,
        } => {
            if written.is_empty() && removed.is_empty() {
                outln!("{out} is up to date");
            } else {
                outln!(
                    "Rendered the stack for Kubernetes in {out}: {} written, {} removed",
                    crate::vocab::count(written.len(), "file"),
                    removed.len()
                );
            }
            for secret in &missing_secrets {
                outln!(
                    "note: create {secret} from {secret}.example with the secret values before applying"
                );
            }
            outln!("Apply with `kubectl apply -k {out}/overlays/prod` (or `overlays/dev`).");
            Ok(ExitCode::SUCCESS)
        }
    }
}
