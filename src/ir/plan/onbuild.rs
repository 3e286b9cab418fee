//! ONBUILD triggers: the `Config.OnBuild` of a base image, or the ONBUILD
//! instructions of a base stage, run at the start of the child stage.
//!
//! A trigger is stored as text, so it is parsed here with the ordinary
//! parser. Its instruction's byte ranges point into that text, not into
//! the Dockerfile; like BuildKit, every diagnostic and source location of
//! a trigger points at the FROM line of the stage that runs it.

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::{Instruction, parse_instructions};
use crate::syntax::parse;

use crate::ir::codes;

use super::{Command, Plan, graph};

/// Text put before a trigger so that it parses as the first instruction
/// of a stage.
const PREFIX: &str = "FROM scratch\n";

pub(super) fn expand(plan: &mut Plan) -> Result<bool, Diagnostic> {
    let mut new_deps = false;
    for i in plan.reachable() {
        let st = &plan.stages[i];
        if st.replaced_by.is_some() || st.implicit {
            continue;
        }
        let mut triggers: Vec<String> = Vec::new();
        if st.base_stage.is_none()
            && let Some(img) = &st.image
        {
            triggers.extend(img.config.on_build.iter().cloned());
        }
        if let Some(base) = st.base_stage
            && !st.onbuild_init
        {
            for c in &plan.stages[base].commands {
                if let Instruction::Onbuild(o) = &c.instruction {
                    triggers.push(o.expression.clone());
                }
            }
            plan.stages[i].onbuild_init = true;
        }
        if triggers.is_empty() {
            continue;
        }
        let mut commands = Vec::with_capacity(triggers.len());
        for t in &triggers {
            let (instruction, text) = parse_trigger(plan, i, t)?;
            let range = plan.stages[i].from_range;
            let sources = graph::sources(plan, i, &instruction, range)?;
            if !sources.is_empty() {
                new_deps = true;
            }
            commands.push(Command {
                instruction,
                sources,
                onbuild: true,
                text,
                range,
                lines: plan.stages[i].from_lines.unwrap_or((0, 0)),
            });
        }
        let st = &mut plan.stages[i];
        st.cmd_total += commands.len();
        commands.append(&mut st.commands);
        st.commands = commands;
        if let Some(img) = &mut st.image {
            img.config.on_build.clear();
        }
    }
    Ok(new_deps)
}

fn parse_trigger(
    plan: &Plan,
    stage: usize,
    trigger: &str,
) -> Result<(Instruction, String), Diagnostic> {
    let range = plan.stages[stage].from_range;
    let fail = |msg: String| {
        Diagnostic::error(codes::INVALID_TRIGGER, range, msg)
            .with_label("in an ONBUILD trigger of this stage's base")
    };
    let text = format!("{PREFIX}{trigger}");
    let parsed = parse(&text);
    if let Some(d) = parsed.diagnostics.iter().find(|d| d.is_error()) {
        return Err(fail(d.message.clone()));
    }
    let nodes: Vec<_> = parsed.tree.nodes().collect();
    if nodes.len() != 2 {
        return Err(fail(
            "onbuild trigger should be a single expression".to_owned(),
        ));
    }
    let original = nodes[1].original.trim().to_owned();
    let (file, diags) = parse_instructions(&parsed.tree);
    if let Some(d) = diags.iter().find(|d| d.is_error()) {
        return Err(fail(d.message.clone()));
    }
    let instruction = file
        .stages
        .first()
        .filter(|_| file.stages.len() == 1)
        .and_then(|s| s.instructions.first().cloned())
        .ok_or_else(|| {
            fail(format!(
                "{} isn't allowed as an ONBUILD trigger",
                nodes[1].keyword.value
            ))
        })?;
    Ok((instruction, original))
}
