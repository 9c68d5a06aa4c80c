//! The syntax of values hsm copies from the registry into artifacts other tools read.
//!
//! A registry value that docker compose, docker or uv would refuse must be refused when the
//! registry file is read, at its line, instead of surfacing as an invalid
//! `docker-compose.hsm.yml` or `pyproject.toml` much later (or at `docker compose up`, far
//! from its cause). Each function here checks one kind of value and says, in a few words,
//! what is wrong; [`super::rules`] turns that into a positioned error with a fix.
//!
//! The grammars are the tools' own, kept to what hsm writes:
//! - env names: `[A-Za-z_][A-Za-z0-9_]*`, what both POSIX shells and compose accept;
//! - container names: docker's `[a-zA-Z0-9][a-zA-Z0-9_.-]+`;
//! - image references: the distribution reference grammar docker parses;
//! - ports and volumes: compose's short syntax;
//! - distribution names: PEP 508; version specifiers: PEP 440.
//!
//! A value holding a `$` reference (`${PORT}:80`) is interpolated by compose at `up`, so
//! only what interpolation cannot change (line breaks, NUL) is checked in it.

/// Why a value is refused, in a few words (`a line break`, `port 70000 is above 65535`).
pub type Reason = String;

/// `value` for a message: control characters escaped (`\n`), everything else as written.
pub fn shown(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A line break, carriage return or NUL: each breaks the line-based formats hsm writes
/// (`.env.<service>`, YAML scalars read back by compose, PEP 508 strings).
pub fn no_line_break(value: &str) -> Result<(), Reason> {
    match value.chars().find(|c| matches!(c, '\n' | '\r' | '\0')) {
        Some('\n') => Err("it contains a line break".into()),
        Some('\r') => Err("it contains a carriage return".into()),
        Some(_) => Err("it contains a NUL character".into()),
        None => Ok(()),
    }
}

/// An environment variable name: `[A-Za-z_][A-Za-z0-9_.]*`. POSIX shells take letters,
/// digits and `_`; the `.` is kept because images read dotted settings from their
/// environment (Elasticsearch's `discovery.type`) and compose passes them on in
/// `environment:` and env files alike. Nothing else (`-`, spaces, `=`) is accepted.
pub fn env_name(name: &str) -> Result<(), Reason> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Err("it is empty".into()),
        Some(c) if c.is_ascii_digit() => return Err("it starts with a digit".into()),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => {
            return Err(format!(
                "`{}` is not allowed in a name",
                shown(&c.to_string())
            ));
        }
        Some(_) => {}
    }
    match chars.find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))) {
        Some(c) => Err(format!(
            "`{}` is not allowed in a name",
            shown(&c.to_string())
        )),
        None => Ok(()),
    }
}

fn interpolated(value: &str) -> bool {
    value.contains('$')
}

/// Docker's container name rule (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`).
pub fn container_name(name: &str) -> Result<(), Reason> {
    no_line_break(name)?;
    if interpolated(name) {
        return Ok(());
    }
    host_like(name)?;
    if name.len() < 2 {
        return Err("docker needs at least two characters".into());
    }
    Ok(())
}

/// A network alias: a host name other containers resolve.
pub fn network_alias(alias: &str) -> Result<(), Reason> {
    no_line_break(alias)?;
    if interpolated(alias) {
        return Ok(());
    }
    host_like(alias)
}

/// Starts with a letter or digit; then letters, digits, `_`, `.`, `-`.
fn host_like(name: &str) -> Result<(), Reason> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Err("it is empty".into()),
        Some(c) if !c.is_ascii_alphanumeric() => {
            return Err("it must start with a letter or digit".into());
        }
        Some(_) => {}
    }
    match chars.find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))) {
        Some(c) => Err(format!("`{}` is not allowed", shown(&c.to_string()))),
        None => Ok(()),
    }
}

/// A compose short-syntax port: `[[IP:]HOST:]CONTAINER[/PROTOCOL]`, each port a number
/// from 1 to 65535 or a range `a-b`.
pub fn port(spec: &str) -> Result<(), Reason> {
    no_line_break(spec)?;
    if interpolated(spec) {
        return Ok(());
    }
    let (ports, protocol) = match spec.rsplit_once('/') {
        Some((p, proto)) => (p, Some(proto)),
        None => (spec, None),
    };
    if let Some(proto) = protocol
        && !matches!(proto, "tcp" | "udp" | "sctp")
    {
        return Err(format!("`{proto}` is not a protocol (tcp, udp or sctp)"));
    }
    // An IPv6 host address is bracketed: `[::1]:8080:80`.
    let rest = match ports.strip_prefix('[') {
        Some(r) => match r.split_once("]:") {
            Some((_, rest)) => rest,
            None => return Err("an IPv6 address needs `[...]:` before the ports".into()),
        },
        None => ports,
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (host, container) = match parts.as_slice() {
        [c] => (None, *c),
        [h, c] => (Some(*h), *c),
        [ip, h, c] if !ports.starts_with('[') => {
            ip_address(ip)?;
            (Some(*h).filter(|h| !h.is_empty()), *c)
        }
        _ => {
            return Err("expected `CONTAINER`, `HOST:CONTAINER` or `IP:HOST:CONTAINER`".into());
        }
    };
    if let Some(h) = host {
        port_range(h, "host")?;
    }
    port_range(container, "container")
}

fn ip_address(ip: &str) -> Result<(), Reason> {
    if ip.parse::<std::net::Ipv4Addr>().is_ok() {
        Ok(())
    } else {
        Err(format!("`{ip}` is not an IP address"))
    }
}

fn port_range(text: &str, which: &str) -> Result<(), Reason> {
    let (a, b) = match text.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let number = |s: &str| -> Result<u32, Reason> {
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("{which} port `{text}` is not a number"));
        }
        match s.parse::<u32>() {
            Ok(n) if (1..=65535).contains(&n) => Ok(n),
            _ => Err(format!("{which} port {s} is outside 1-65535")),
        }
    };
    let start = number(a)?;
    if let Some(b) = b
        && number(b)? < start
    {
        return Err(format!("{which} port range `{text}` ends before it starts"));
    }
    Ok(())
}

/// Options compose accepts after a volume's target.
const VOLUME_MODES: [&str; 14] = [
    "ro",
    "rw",
    "z",
    "Z",
    "nocopy",
    "consistent",
    "cached",
    "delegated",
    "shared",
    "slave",
    "private",
    "rshared",
    "rslave",
    "rprivate",
];

/// A compose short-syntax volume: `[SOURCE:]TARGET[:MODE]`, TARGET an absolute path in the
/// container; a SOURCE that is not a path names a volume (`[a-zA-Z0-9._-]+`).
pub fn volume(spec: &str) -> Result<(), Reason> {
    no_line_break(spec)?;
    if interpolated(spec) {
        return Ok(());
    }
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [t] => (None, *t, None),
        [s, t] => (Some(*s), *t, None),
        [s, t, m] => (Some(*s), *t, Some(*m)),
        _ => return Err("expected `TARGET`, `SOURCE:TARGET` or `SOURCE:TARGET:MODE`".into()),
    };
    if !target.starts_with('/') {
        return Err(format!(
            "the path in the container, `{target}`, must be absolute"
        ));
    }
    if let Some(source) = source {
        let path = source.starts_with(['.', '/', '~']) || source.contains('/');
        if source.is_empty() {
            return Err("the source before `:` is empty".into());
        }
        if !path
            && let Some(c) = source
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        {
            return Err(format!(
                "`{}` is not allowed in the volume name `{source}` (a path starts with `./` or `/`)",
                shown(&c.to_string())
            ));
        }
    }
    if let Some(mode) = mode {
        for option in mode.split(',') {
            if !VOLUME_MODES.contains(&option) {
                return Err(format!(
                    "`{option}` is not a volume option ({})",
                    VOLUME_MODES.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// A docker image reference: `[HOST[:PORT]/]PATH[:TAG][@DIGEST]`, the path in lower case.
pub fn image(reference: &str) -> Result<(), Reason> {
    no_line_break(reference)?;
    if interpolated(reference) {
        return Ok(());
    }
    if let Some(c) = reference.chars().find(|c| c.is_whitespace()) {
        return Err(format!(
            "`{}` is not allowed in an image name",
            shown(&c.to_string())
        ));
    }
    let (name, digest) = match reference.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (reference, None),
    };
    if let Some(d) = digest {
        let ok = d.split_once(':').is_some_and(|(algo, hex)| {
            !algo.is_empty()
                && algo
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '_' | '-'))
                && hex.len() >= 32
                && hex.chars().all(|c| c.is_ascii_hexdigit())
        });
        if !ok {
            return Err(format!("`{d}` is not a digest (`sha256:<hex>`)"));
        }
    }
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    if let Some(tag) = tag {
        let mut chars = tag.chars();
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let ok = chars.next().is_some_and(word)
            && tag.len() <= 128
            && chars.all(|c| word(c) || matches!(c, '.' | '-'));
        if !ok {
            return Err(format!(
                "`{tag}` is not a tag (letters, digits, `_`, `.`, `-`; at most 128)"
            ));
        }
    }
    if repo.is_empty() {
        return Err("the image name is empty".into());
    }
    let mut components: Vec<&str> = repo.split('/').collect();
    let first = components[0];
    if components.len() > 1
        && (first.contains(['.', ':'])
            || first == "localhost"
            || first.chars().any(|c| c.is_ascii_uppercase()))
    {
        registry_host(first)?;
        components.remove(0);
    }
    for c in components {
        path_component(c)?;
    }
    Ok(())
}

fn registry_host(host: &str) -> Result<(), Reason> {
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) if !n.ends_with(']') || host.starts_with('[') => (n, Some(p)),
        _ => (host, None),
    };
    if let Some(p) = port
        && (p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!("`{p}` is not a port of registry `{host}`"));
    }
    let ok = if let Some(v6) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        v6.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    };
    if ok {
        Ok(())
    } else {
        Err(format!("`{host}` is not a registry host"))
    }
}

/// `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`.
fn path_component(c: &str) -> Result<(), Reason> {
    if c.chars().any(|ch| ch.is_ascii_uppercase()) {
        return Err(format!("`{c}` must be lower case"));
    }
    let bytes = c.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut i = 0;
    let mut ok = !bytes.is_empty() && alnum(bytes[0]) && alnum(bytes[bytes.len() - 1]);
    while ok && i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        ok = matches!(sep, "." | "_" | "__") || sep.chars().all(|ch| ch == '-');
    }
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{c}` is not a repository name (lower-case letters and digits, separated by `.`, `_`, `__` or `-`)"
        ))
    }
}

/// [`distribution_name`] as a JSON Schema (ECMA-262) pattern.
pub const DISTRIBUTION_NAME_PATTERN: &str = r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$";

/// A PEP 508 distribution name: `[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?`.
pub fn distribution_name(name: &str) -> Result<(), Reason> {
    no_line_break(name)?;
    if name.is_empty() {
        return Err("it is empty".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(match c {
            ' ' | ';' | '[' | '<' | '>' | '=' | '!' | '~' | '@' => format!(
                "`{c}` is not allowed: it is a name, not a requirement (versions, extras and markers go elsewhere)"
            ),
            c => format!("`{}` is not allowed", shown(&c.to_string())),
        });
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return Err("it must start and end with a letter or digit".into());
    }
    Ok(())
}

/// A PEP 440 version specifier set: comma-separated `OPERATOR VERSION` clauses
/// (`>=1.12,<2`, `~=2.4`, `==1.*`).
pub fn version_specifiers(spec: &str) -> Result<(), Reason> {
    no_line_break(spec)?;
    if spec.trim().is_empty() {
        return Err("it is empty".into());
    }
    for clause in spec.split(',') {
        specifier(clause.trim())?;
    }
    Ok(())
}

const OPERATORS: [&str; 8] = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];

fn specifier(clause: &str) -> Result<(), Reason> {
    if clause.is_empty() {
        return Err("a clause between commas is empty".into());
    }
    let Some(op) = OPERATORS.iter().find(|op| clause.starts_with(**op)) else {
        return Err(format!(
            "`{clause}` has no operator (one of {})",
            OPERATORS.join(" ")
        ));
    };
    let version = clause[op.len()..].trim();
    if *op == "===" {
        return match version
            .chars()
            .find(|c| c.is_whitespace() || matches!(c, ';' | ','))
        {
            _ if version.is_empty() => Err("`===` needs a version".into()),
            Some(c) => Err(format!(
                "`{}` is not allowed in `{clause}`",
                shown(&c.to_string())
            )),
            None => Ok(()),
        };
    }
    let (version, wildcard) = match version.strip_suffix(".*") {
        Some(v) => (v, true),
        None => (version, false),
    };
    if wildcard && !matches!(*op, "==" | "!=") {
        return Err(format!(
            "`.*` is only allowed after `==` or `!=`, not in `{clause}`"
        ));
    }
    let parsed = pep440_version(version)
        .ok_or_else(|| format!("`{version}` in `{clause}` is not a PEP 440 version"))?;
    if (wildcard || !matches!(*op, "==" | "!=")) && parsed.local {
        return Err(format!(
            "a local version (`+...`) is not allowed in `{clause}`"
        ));
    }
    if wildcard && (parsed.suffix || parsed.local) {
        return Err(format!(
            "`.*` must follow the release numbers in `{clause}`"
        ));
    }
    if *op == "~=" && parsed.release < 2 {
        return Err(format!(
            "`~=` needs at least two release numbers, as in `~=1.4`, not `{clause}`"
        ));
    }
    Ok(())
}

struct Pep440 {
    release: usize,
    suffix: bool,
    local: bool,
}

/// A PEP 440 version in any spelling the standard normalizes (`v1.0`, `1.0-rc.1`,
/// `1.0.post2`, `1!2.0.dev3+local.7`).
pub fn is_pep440_version(text: &str) -> bool {
    pep440_version(text).is_some()
}

fn pep440_version(text: &str) -> Option<Pep440> {
    let lower = text.to_ascii_lowercase();
    let (public, local) = match lower.split_once('+') {
        Some((p, l)) => (p, Some(l)),
        None => (lower.as_str(), None),
    };
    if let Some(l) = local {
        let ok = l
            .split(['.', '-', '_'])
            .all(|seg| !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric()));
        if !ok {
            return None;
        }
    }
    let mut c = Cursor(public.strip_prefix('v').unwrap_or(public));
    if let Some((epoch, rest)) = c.0.split_once('!') {
        if epoch.is_empty() || !epoch.chars().all(|ch| ch.is_ascii_digit()) {
            return None;
        }
        c.0 = rest;
    }
    let mut release = 0;
    loop {
        if !c.digits() {
            return None;
        }
        release += 1;
        let before = c.0;
        if !(c.eat(".") && c.0.starts_with(|ch: char| ch.is_ascii_digit())) {
            c.0 = before;
            break;
        }
    }
    let suffix = !c.0.is_empty();
    c.tagged(&["alpha", "beta", "preview", "pre", "rc", "a", "b", "c"]);
    let before = c.0;
    if !(c.eat("-") && c.digits()) {
        c.0 = before;
        c.tagged(&["post", "rev", "r"]);
    }
    c.tagged(&["dev"]);
    c.0.is_empty().then_some(Pep440 {
        release,
        suffix,
        local: local.is_some(),
    })
}

/// What is left of a version being parsed.
struct Cursor<'a>(&'a str);

impl Cursor<'_> {
    fn eat(&mut self, prefix: &str) -> bool {
        match self.0.strip_prefix(prefix) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    /// One or more digits.
    fn digits(&mut self) -> bool {
        let n = self
            .0
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(self.0.len());
        self.0 = &self.0[n..];
        n > 0
    }

    fn separator(&mut self) {
        let _ = self.eat(".") || self.eat("-") || self.eat("_");
    }

    /// `[sep]WORD[sep][digits]` for one of `words` (longest listed first); nothing if absent.
    fn tagged(&mut self, words: &[&str]) {
        let before = self.0;
        self.separator();
        if words.iter().any(|w| self.eat(w)) {
            let after_word = self.0;
            self.separator();
            if !self.digits() {
                self.0 = after_word;
            }
        } else {
            self.0 = before;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        for ok in [
            "A",
            "_x",
            "DB_NAME",
            "db_name",
            "QDRANT__SERVICE__GRPC_PORT",
            "a1",
            "discovery.type",
        ] {
            assert_eq!(env_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", "1A", "A B", "A=B", "A-B", ".a", "A\nB", "É"] {
            assert!(env_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn container_names_and_aliases() {
        for ok in ["pg", "my-db_1.x", "${PROJECT}-db"] {
            assert_eq!(container_name(ok), Ok(()), "{ok}");
        }
        for bad in ["a", "a b", "-db", "db\n", "db/x", ""] {
            assert!(container_name(bad).is_err(), "{bad}");
        }
        assert_eq!(network_alias("db"), Ok(()));
        assert!(network_alias("d b").is_err());
    }

    #[test]
    fn ports() {
        for ok in [
            "8080:80",
            "80",
            "5432:5432/tcp",
            "127.0.0.1:8080:80",
            "127.0.0.1::80",
            "[::1]:8080:80",
            "9000-9010:9000-9010",
            "53:53/udp",
            "${PORT}:80",
        ] {
            assert_eq!(port(ok), Ok(()), "{ok}");
        }
        for bad in [
            "abc",
            "70000:80",
            "1:2:3:4",
            "0:80",
            "80/http",
            "8080:",
            "a.b.c:1:2",
            "90-80:90-80",
            "8080:80\n",
        ] {
            assert!(port(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn volumes() {
        for ok in [
            "data:/var/lib/x",
            "./init:/docker-entrypoint-initdb.d:ro",
            "/srv:/srv:rw,z",
            "/anonymous",
            "~/x:/x",
            "${DATA}:/x",
            "postgres-data:/var/lib/postgresql/data",
        ] {
            assert_eq!(volume(ok), Ok(()), "{ok}");
        }
        for bad in [
            "a:/b:ro:x",
            "data:relative",
            "./x:/b:bogus",
            "da ta:/x",
            "relative",
            ":/x",
        ] {
            assert!(volume(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn images() {
        for ok in [
            "postgres:16-alpine",
            "qdrant/qdrant:v1.12.4",
            "ghcr.io/org/x:latest",
            "localhost:5000/x",
            "registry.example.com:443/a/b/c:1.0",
            "x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "my_app__x",
            "${IMAGE}",
        ] {
            assert_eq!(image(ok), Ok(()), "{ok}");
        }
        for bad in [
            "x y",
            "foo/Bar",
            "MyImage",
            "x:",
            "x:-tag",
            "x@sha256:zz",
            "-x",
            "x/",
            "",
            "x:1\n",
        ] {
            assert!(image(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn distribution_names() {
        for ok in ["qdrant-client", "zope.interface", "A1", "x"] {
            assert_eq!(distribution_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "foo bar",
            "foo; python_version>'3'",
            "foo-",
            "-foo",
            "foo[x]",
            "a\nb",
        ] {
            assert!(distribution_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn specifiers() {
        for ok in [
            ">=1.12,<2",
            ">=1.12, <2",
            "==1.2.3",
            "~=2.4",
            "==1.*",
            "!=1.5.*",
            "===foobar",
            ">=0.34,<1",
            "==1.0rc1",
            "==1.0.post2",
            "==1!2.0.dev3",
            "==1.0+local.7",
            ">=v1.0",
            "==1.0-1",
            "==1.0a",
            ">=2.0.0b1",
        ] {
            assert_eq!(version_specifiers(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "1.2.3",
            ">=1\n",
            ">=1;python_version>'3'",
            ">=1,",
            ">=1.*",
            "~=1",
            ">=1.0+local",
            "==1.0.*+x",
            ">=latest",
            "@ https://x",
            ">=1 <2",
        ] {
            assert!(version_specifiers(bad).is_err(), "{bad}");
        }
        assert!(is_pep440_version("1.2.3") && !is_pep440_version("1.2.x"));
    }
}
