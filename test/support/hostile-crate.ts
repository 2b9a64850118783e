/**
 * A Rust crate whose path dependency's build.rs probes what a build step can
 * reach: a TCP server of the test (the network), a file outside the
 * repository and one in $HOME. It passes what it saw to the crate as
 * `DCM_PROBE` (`net:blocked file:hidden home:hidden` when isolated), which
 * the fragment `probe` returns. Shared by the sandbox and container tests.
 */
export const ISOLATED_PROBE = "net:blocked file:hidden home:hidden";

export const helperLib = (v: number) => `pub const PROBE: &str = env!("DCM_PROBE");\n\npub fn value() -> i32 {\n    ${v}\n}\n`;

/** The crate's files (write them into the repository folder). `buildRsBody` replaces the probe (a loop, for limits). */
export function hostileCrate(o: { port: number; outsideFile: string; homeFile: string; value?: number; registryDep?: boolean; buildRsBody?: string[] }): Record<string, string> {
  return {
    "Cargo.toml": `[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nhelper = { path = "helper" }\n${o.registryDep === false ? "" : 'itoa = "1"\n'}`,
    "src/lib.rs": [
      "pub fn probe() -> String {",
      "    helper::PROBE.to_string()",
      "}",
      "",
      "pub fn value() -> String {",
      o.registryDep === false ? "    helper::value().to_string()" : "    itoa::Buffer::new().format(helper::value()).to_string()",
      "}",
      "",
    ].join("\n"),
    "helper/Cargo.toml": '[package]\nname = "helper"\nversion = "0.1.0"\nedition = "2021"\nbuild = "build.rs"\n',
    "helper/build.rs": [
      "use std::time::Duration;",
      "fn main() {",
      ...(o.buildRsBody ?? [
        `    let addr = "127.0.0.1:${o.port}".parse().unwrap();`,
        '    let net = if std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(3)).is_ok() { "reached" } else { "blocked" };',
        `    let file = if std::fs::read_to_string(${JSON.stringify(o.outsideFile)}).is_ok() { "read" } else { "hidden" };`,
        `    let home = if std::fs::read_to_string(${JSON.stringify(o.homeFile)}).is_ok() { "read" } else { "hidden" };`,
        '    println!("cargo:rustc-env=DCM_PROBE=net:{net} file:{file} home:{home}");',
      ]),
      "}",
      "",
    ].join("\n"),
    "helper/src/lib.rs": helperLib(o.value ?? 41),
    "dcm.yaml": [
      "fragments:",
      "  - { id: probe, name: probe, runOn: server, location: { filepath: src/lib.rs } }",
      "  - { id: value, name: value, runOn: client, location: { filepath: src/lib.rs } }",
      "",
    ].join("\n"),
  };
}
