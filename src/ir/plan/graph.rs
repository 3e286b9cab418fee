//! The stage graph: which stage each command reads from (creating the
//! implicit stages BuildKit creates) and cycle detection.

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::{Dockerfile, Instruction};
use crate::syntax::shell::EmptyEnv;
use crate::syntax::text::TextRange;

use crate::ir::codes;

use super::{Command, Plan, PlannedStage};

/// Builds the commands of every stage of the file and their sources.
pub(super) fn link_commands(plan: &mut Plan, file: &Dockerfile) -> Result<(), Diagnostic> {
    for (i, st) in file.stages.iter().enumerate() {
        let mut commands = Vec::with_capacity(st.instructions.len());
        for ins in &st.instructions {
            let range = ins.range();
            let sources = sources(plan, i, ins, range)?;
            commands.push(Command {
                instruction: ins.clone(),
                text: plan.original(range),
                lines: plan.index.lines(range),
                range,
                sources,
                onbuild: false,
            });
        }
        plan.stages[i].commands = commands;
    }
    Ok(())
}

/// BuildKit's `toCommand` + `detectRunMount`: the stages `ins` reads, each
/// recorded as a dependency of stage `owner`.
pub(super) fn sources(
    plan: &mut Plan,
    owner: usize,
    ins: &Instruction,
    range: TextRange,
) -> Result<Vec<usize>, Diagnostic> {
    let mut out = Vec::new();
    match ins {
        Instruction::Copy(c) => {
            if let Some(from) = &c.from {
                let expanded = plan
                    .lexer
                    .process_word(&from.value, &EmptyEnv)
                    .map_err(|e| super::expand_error(&e, from, range, &plan.source))?;
                if expanded.value != from.value {
                    return Err(Diagnostic::error(
                        codes::FROM_EXPANSION,
                        from.range,
                        "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
                    )
                    .with_label("uses a variable"));
                }
                let idx = match go_atoi(&from.value) {
                    Some(n) => {
                        if n < 0 || n as usize >= plan.stages.len() {
                            return Err(Diagnostic::error(
                                codes::INVALID_STAGE_INDEX,
                                from.range,
                                format!("invalid stage index {n}"),
                            )
                            .with_label("no stage with this index"));
                        }
                        n as usize
                    }
                    None => match plan.find_stage(&from.value) {
                        Some(i) => i,
                        None => {
                            let mut st = PlannedStage::new(from.value.clone(), range);
                            st.implicit = true;
                            st.from_lines = Some(plan.index.lines(range));
                            plan.add_state(st)
                        }
                    },
                };
                out.push(idx);
            }
        }
        Instruction::Run(r) => {
            for m in &r.mounts {
                let from = m.from.clone().unwrap_or_else(|| "scratch".to_owned());
                let idx = match plan.find_stage(&from) {
                    Some(i) => i,
                    None => {
                        // BuildKit gives these stages no location.
                        let mut st = PlannedStage::new(from, TextRange::empty(range.start()));
                        st.implicit = true;
                        plan.add_state(st)
                    }
                };
                out.push(idx);
            }
        }
        _ => {}
    }
    for &d in &out {
        let deps = &mut plan.stages[owner].deps;
        if !deps.contains(&d) {
            deps.push(d);
        }
    }
    Ok(out)
}

/// Go's `strconv.Atoi` for the values that matter here.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Rejects stages that depend on each other ("circular dependency detected
/// on stage: X").
pub(super) fn check_cycles(plan: &Plan) -> Result<(), Diagnostic> {
    let n = plan.stages.len();
    let mut visited = vec![false; n];
    for start in 0..n {
        let mut path = vec![false; n];
        if let Some(cmd_range) = visit(plan, start, &mut visited, &mut path) {
            let name = &plan.stages[start].display_name;
            return Err(Diagnostic::error(
                codes::CIRCULAR_DEPENDENCY,
                cmd_range,
                format!("circular dependency detected on stage: {name}"),
            )
            .with_label("this closes the cycle"));
        }
    }
    Ok(())
}

/// Depth-first search; returns the range of a command on a cycle.
fn visit(plan: &Plan, i: usize, visited: &mut [bool], path: &mut [bool]) -> Option<TextRange> {
    if visited[i] {
        return None;
    }
    visited[i] = true;
    path[i] = true;
    for &dep in &plan.stages[i].deps {
        let cmd = plan.stages[i]
            .commands
            .iter()
            .rev()
            .find(|c| c.sources.contains(&dep))
            .map_or(plan.stages[i].from_range, |c| c.range);
        if path[dep] {
            return Some(cmd);
        }
        if let Some(r) = visit(plan, dep, visited, path) {
            return Some(r);
        }
    }
    path[i] = false;
    None
}
