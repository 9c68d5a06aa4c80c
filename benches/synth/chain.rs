//! Deep and wide stacks: registries whose whole content is one stack of `n` components,
//! for the scaling benchmark (`benches/chain.rs`) and the regression test in
//! `tests/it/resolve.rs`, which includes this file by path.
//!
//! A stack is a chain when every component brings the next one, which is where per-component
//! work turns quadratic (every component's chain is as long as the stack). The shapes:
//!
//! - [`Shape::Chain`]: library `c1` implies `c2` implies … `cN`; hsm.yaml lists `c1`.
//! - [`Shape::Fan`]: `c1` implies every one of `c2` … `cN`: one component, `n - 1` rules.
//! - [`Shape::GroupChain`]: `cK` implies `library_group:gK: c(K+1)`, and `gK` is a 1-of-N
//!   group with options `c(K+1)` and `xK` (`xK` has no file: it is never chosen).
//! - [`Shape::ServiceChain`]: service `s1` implies `s2` … `sN`; every service runs in
//!   docker, so compose `depends_on` is a chain too. (No params: they would give every
//!   service an `.env` file, and a sync would measure writing thousands of files.)
//!
//! Names are not zero-padded (`c1`, `c10`, `c100`, `c2`, …), so the order in which stacks
//! are listed (by name) is not the order of the chain.

/// The shape of a generated stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Chain,
    Fan,
    GroupChain,
    ServiceChain,
}

impl Shape {
    /// The prefix of component names.
    pub fn prefix(self) -> &'static str {
        match self {
            Shape::ServiceChain => "s",
            _ => "c",
        }
    }

    /// The `name` of the `i`-th component (1-based).
    pub fn name(self, i: usize) -> String {
        format!("{}{i}", self.prefix())
    }

    /// The folder the stack's components are in.
    pub fn folder(self) -> &'static str {
        match self {
            Shape::ServiceChain => "services",
            _ => "libraries",
        }
    }

    /// `hsm.yaml`: selects the first component.
    pub fn manifest(self) -> String {
        let section = match self {
            Shape::ServiceChain => "services",
            _ => "libraries",
        };
        format!(
            "project:\n  name: {self:?}\n{section}:\n  standalone:\n    - {}\n",
            self.name(1)
        )
    }

    /// Every registry file as `(path relative to the registry, text)`.
    pub fn files(self, n: usize) -> Vec<(String, String)> {
        let mut out = Vec::with_capacity(2 * n);
        for i in 1..=n {
            let name = self.name(i);
            let next = self.name(i + 1);
            let mut text = format!("name: {name}\nversion: 1.0.{}\n", i % 7);
            match self {
                Shape::ServiceChain => text.push_str(&format!(
                    "sources:\n  prod: {{type: docker-image, image: \"example/{name}:1\"}}\n"
                )),
                _ => text.push_str(&format!(
                    "sources:\n  prod: {{type: pypi, version: \">=1\"}}\npackage: py-{name}\n"
                )),
            }
            match self {
                Shape::Chain if i < n => {
                    text.push_str(&format!("implies:\n  library:{next}: {{}}\n"));
                }
                Shape::Fan if i == 1 => {
                    text.push_str("implies:\n");
                    for k in 2..=n {
                        text.push_str(&format!("  library:{}: {{}}\n", self.name(k)));
                    }
                }
                Shape::GroupChain if i < n => {
                    text.push_str(&format!("implies:\n  library_group:g{i}: {next}\n"));
                    out.push((
                        format!("library_groups/g{i}.yaml"),
                        format!(
                            "name: g{i}\ntype: library_group\nstrategy: 1-of-N\noptions:\n  - name: {next}\n  - name: x{i}\n"
                        ),
                    ));
                }
                Shape::ServiceChain if i < n => {
                    text.push_str(&format!("implies:\n  service:{next}: {{}}\n"));
                }
                _ => {}
            }
            out.push((format!("{}/{name}.yaml", self.folder()), text));
        }
        out
    }
}
