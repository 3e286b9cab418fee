//! `HEALTHCHECK`: sets `Config.Healthcheck` (defaults are left to the
//! runtime). The history entry is the Go `%q` dump of the config struct,
//! `HEALTHCHECK &{["CMD-SHELL" "true"] "5s" "0s" "0s" "0s" '\x00'}`, as the
//! BuildKit in Docker Engine 28 writes it.

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::Healthcheck;

use crate::ir::image::Healthcheck as Config;

use super::{Stage, history};

pub(super) fn lower(stage: &mut Stage, h: &Healthcheck) -> Result<(), Diagnostic> {
    let dur = |v: &Option<crate::syntax::instructions::FlagValue<u64>>| {
        v.as_ref()
            .map_or(0, |f| i64::try_from(f.value).unwrap_or(i64::MAX))
    };
    let cfg = Config {
        test: h.test(),
        interval: dur(&h.interval),
        timeout: dur(&h.timeout),
        start_period: dur(&h.start_period),
        start_interval: dur(&h.start_interval),
        retries: h.retries.as_ref().map_or(0, |r| i64::from(r.value)),
    };
    let msg = format!(
        "HEALTHCHECK &{{{} {} {} {} {} {}}}",
        history::quoted_list(&cfg.test),
        history::go_quote(&history::go_duration(cfg.interval)),
        history::go_quote(&history::go_duration(cfg.timeout)),
        history::go_quote(&history::go_duration(cfg.start_period)),
        history::go_quote(&history::go_duration(cfg.start_interval)),
        history::go_quote_rune(cfg.retries),
    );
    stage.state.image.config.healthcheck = Some(cfg);
    let epoch = stage.plan().epoch;
    history::commit(&mut stage.state.image, msg, false, false, epoch);
    Ok(())
}
