//! `slipway frontend`: serve one build as BuildKit's gateway frontend, or
//! package this binary as a frontend image.

use std::process::ExitCode;

use slipway::frontend::{self, image, opts::Environment};

use super::args::{FrontendCommand, InstallArgs};
use super::{Fatal, Outcome};

pub fn run(cmd: &FrontendCommand) -> Result<Outcome, Fatal> {
    match cmd {
        FrontendCommand::Serve => match serve() {
            0 => Ok(Outcome::Ok),
            _ => Ok(Outcome::Errors),
        },
        FrontendCommand::Install(a) => install(a),
    }
}

/// With no arguments and BuildKit's variables in the environment, the
/// binary is a frontend image's entrypoint: serve and say how it went.
pub fn serve_if_started_by_buildkit() -> Option<ExitCode> {
    if std::env::args_os().len() > 1 {
        return None;
    }
    let vars = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    Environment::is_gateway(vars).then(|| ExitCode::from(serve()))
}

/// Serves one build; the exit code BuildKit sees.
fn serve() -> u8 {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(Fatal(m)) => {
            eprintln!("slipway frontend: {m}");
            return 1;
        }
    };
    let outcome = rt.block_on(frontend::serve_stdio());
    // Reading stdin blocks a thread that cannot be cancelled; don't wait.
    rt.shutdown_background();
    match outcome {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("slipway frontend: {e}");
            1
        }
    }
}

fn install(args: &InstallArgs) -> Result<Outcome, Fatal> {
    let exe =
        std::env::current_exe().map_err(|e| Fatal(format!("finding the slipway binary: {e}")))?;
    let binary = std::fs::read(&exe).map_err(|e| Fatal(format!("{}: {e}", exe.display())))?;
    let img = image::build_image(&binary, &args.tag).map_err(Fatal)?;
    if let Some(out) = &args.output {
        std::fs::write(out, &img.archive).map_err(|e| Fatal(format!("{}: {e}", out.display())))?;
        println!(
            "wrote {} (manifest {}, {} bytes) to {}",
            img.reference,
            img.manifest_digest,
            img.archive.len(),
            out.display()
        );
        return Ok(Outcome::Ok);
    }
    let socket =
        image::docker_socket(std::env::var("DOCKER_HOST").ok().as_deref()).map_err(Fatal)?;
    let rt = runtime()?;
    let loaded = rt
        .block_on(image::load_into_docker(socket.as_ref(), &img, &args.tag))
        .map_err(Fatal)?;
    println!(
        "loaded {} into the engine at {socket} ({}): image {}, manifest {}",
        args.tag, loaded.report, loaded.id, img.manifest_digest
    );
    if let Some(old) = loaded.removed {
        println!("removed the image {} used to name ({old})", args.tag);
    }
    Ok(Outcome::Ok)
}

fn runtime() -> Result<tokio::runtime::Runtime, Fatal> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Fatal(format!("starting the async runtime: {e}")))
}
