//! `EXPOSE port[/proto] ...`: each word expanded and split into words,
//! then parsed like BuildKit's port specs: ranges expanded, the protocol
//! lower-cased (default `tcp`), `[ip:][hostport:]port` accepted.

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::Expose;

use crate::ir::codes;
use crate::ir::plan::Command;

use super::{Stage, history};

pub(super) fn lower(stage: &mut Stage, cmd: &Command, e: &Expose) -> Result<(), Diagnostic> {
    let mut words = Vec::new();
    for p in &e.ports {
        let out = stage
            .plan()
            .lexer
            .process_words(&p.value, &stage.state.env)
            .map_err(|err| stage.shell_error(&err, p, cmd))?;
        words.extend(out.words);
    }
    let mut ports = Vec::new();
    for w in &words {
        let parsed = parse_port(w).map_err(|msg| {
            Diagnostic::error(codes::INVALID_VALUE, cmd.range, msg)
                .with_help("write `EXPOSE <port>[/<protocol>]`, e.g. `EXPOSE 80/tcp`")
        })?;
        ports.extend(parsed);
    }
    for p in &ports {
        stage.state.image.config.exposed_ports.insert(p.clone(), ());
    }
    let epoch = stage.plan().epoch;
    let msg = format!("EXPOSE {}", history::plain_list(&ports));
    history::commit(&mut stage.state.image, msg, false, false, epoch);
    Ok(())
}

/// One port spec to its `port/proto` entries.
fn parse_port(raw: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = raw.split(':').collect();
    let (ip, host_port, container) = match parts.len() {
        1 => ("".to_owned(), "", parts[0]),
        2 => ("".to_owned(), parts[0], parts[1]),
        3 => (parts[0].to_owned(), parts[1], parts[2]),
        n => (parts[..n - 2].join(":"), parts[n - 2], parts[n - 1]),
    };
    let (port, proto) = container.split_once('/').unwrap_or((container, ""));
    if port.is_empty() {
        return Err(format!("invalid port: \"{raw}\": no port specified"));
    }
    let proto = match proto.to_lowercase().as_str() {
        "" => "tcp".to_owned(),
        "tcp" | "udp" | "sctp" => proto.to_lowercase(),
        _ => return Err(format!("invalid port: \"{raw}\": invalid proto: {proto}")),
    };
    let mut ip = ip;
    if ip.starts_with('[') {
        ip = ip
            .strip_prefix('[')
            .and_then(|i| i.strip_suffix(']'))
            .ok_or_else(|| format!("invalid IP address {ip}"))?
            .to_owned();
    }
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    let (start, end) = port_range(port).map_err(|_| format!("invalid containerPort: {port}"))?;
    if !host_port.is_empty() {
        let (hs, he) =
            port_range(host_port).map_err(|_| format!("invalid hostPort: {host_port}"))?;
        if end - start != he - hs && end != start {
            return Err(format!(
                "invalid ranges specified for container and host Ports: {port} and {host_port}"
            ));
        }
    }
    Ok((start..=end).map(|p| format!("{p}/{proto}")).collect())
}

fn port_range(s: &str) -> Result<(u32, u32), ()> {
    if s.is_empty() {
        return Err(());
    }
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let start = port_number(a)?;
    match b {
        None => Ok((start, start)),
        Some(b) if b == a => Ok((start, start)),
        Some(b) => {
            let end = port_number(b)?;
            if end < start {
                Err(())
            } else {
                Ok((start, end))
            }
        }
    }
}

fn port_number(s: &str) -> Result<u32, ()> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    let n: i64 = s.parse().map_err(|_| ())?;
    if !(0..=65535).contains(&n) {
        return Err(());
    }
    Ok(n as u32)
}

#[cfg(test)]
mod tests {
    use super::parse_port;

    #[test]
    fn ports() {
        assert_eq!(parse_port("80").unwrap(), ["80/tcp"]);
        assert_eq!(parse_port("53/UDP").unwrap(), ["53/udp"]);
        assert_eq!(
            parse_port("8000-8002").unwrap(),
            ["8000/tcp", "8001/tcp", "8002/tcp"]
        );
        assert_eq!(parse_port("127.0.0.1:80:8080").unwrap(), ["8080/tcp"]);
        assert!(parse_port("80/xyz").is_err());
        assert!(parse_port("abc").is_err());
        assert!(parse_port("70000").is_err());
    }
}
