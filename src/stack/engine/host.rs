//! What a second engine holds on the host outside its own processes' memory, found and removed
//! with no help from dockerd: leftover processes (its containerd, shims, docker-proxy, container
//! processes), cgroups, mounts, and its linux bridge with the /24 chosen for it.

use super::super::process::{find_binary, is_alive};
use color_eyre::eyre::{eyre, Result, WrapErr};
use std::collections::BTreeSet;
use std::io::Read;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One `ip` command.
const IP_LIMIT: Duration = Duration::from_secs(5);
/// Leftover processes get this long after SIGTERM, and again after SIGKILL.
const LEFTOVER_GRACE: Duration = Duration::from_secs(2);
/// Bridge subnets are /24s in 10.200.0.0-10.254.255.0, outside Docker's default pools
/// (172.17-31/16, 192.168/16), so the first engine's networks never land on ours.
const FIRST_SUBNET: u32 = u32::from_be_bytes([10, 200, 0, 0]);
const SUBNETS: u32 = 55 * 256;

pub fn all_pids() -> impl Iterator<Item = u32> {
    std::fs::read_dir("/proc").into_iter().flatten().filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
}

fn args_of(pid: u32) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    raw.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect()
}

/// docker-proxy processes forwarding to an address in the subnet recorded in `subnet_file`
/// (their command line names only addresses, and they outlive a dockerd killed outright).
pub fn proxies(subnet_file: &Path) -> Vec<u32> {
    let text = std::fs::read_to_string(subnet_file).unwrap_or_default();
    let Some(subnet) = parse_prefix(text.trim()) else { return Vec::new() };
    all_pids()
        .filter(|pid| {
            let args = args_of(*pid);
            let is_proxy = args.first().is_some_and(|a| Path::new(a).file_name().is_some_and(|n| n == "docker-proxy"));
            let target = args.iter().skip_while(|a| *a != "-container-ip").nth(1).and_then(|ip| parse_prefix(ip));
            is_proxy && target.is_some_and(|t| overlaps(t, subnet))
        })
        .collect()
}

/// The ids of the containers in data root `data` (each a directory under `containers/`).
pub fn container_ids(data: &Path) -> Vec<String> {
    let entries = std::fs::read_dir(data.join("containers")).into_iter().flatten().filter_map(|e| e.ok());
    entries.filter_map(|e| e.file_name().to_str().map(String::from)).filter(|id| id.len() == 64).collect()
}

/// Whether `pid` runs in the cgroup of one of `ids` (a container process of this engine).
pub fn in_containers(pid: u32, ids: &[String]) -> bool {
    let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    ids.iter().any(|id| cgroups.contains(id.as_str()))
}

/// The containers' cgroups, which runc removes only when it is there to delete a container.
pub fn remove_cgroups(ids: &[String]) {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let roots: Vec<PathBuf> =
        text.lines().filter(|l| l.contains(" - cgroup")).filter_map(|l| l.split(' ').nth(4)).map(unescape).collect();
    for root in roots {
        for id in ids {
            // Where the cgroupfs and the systemd drivers put a container.
            let _ = std::fs::remove_dir(root.join("docker").join(id));
            let _ = std::fs::remove_dir(root.join("system.slice").join(format!("docker-{id}.scope")));
        }
    }
}

/// SIGTERM, then SIGKILL, each followed by a bounded wait.
pub fn kill_all(pids: &BTreeSet<u32>) {
    for signal in [libc::SIGTERM, libc::SIGKILL] {
        let alive: Vec<u32> = pids.iter().copied().filter(|p| is_alive(*p)).collect();
        for pid in &alive {
            if let Ok(pid) = libc::pid_t::try_from(*pid) {
                // SAFETY: kill has no memory effects; a process already gone yields ESRCH.
                unsafe { libc::kill(pid, signal) };
            }
        }
        let deadline = Instant::now() + LEFTOVER_GRACE;
        while Instant::now() < deadline && alive.iter().any(|p| is_alive(*p)) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Mount points at or below any of `roots`, in mount order.
pub fn mounts_under(roots: &[PathBuf]) -> Vec<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let points = text.lines().filter_map(|l| l.split(' ').nth(4)).map(unescape);
    points.filter(|p| roots.iter().any(|r| p.starts_with(r))).collect()
}

/// Detaches every mount below `roots` (a few rounds: a mount can hide one made under it);
/// returns those still there.
pub fn unmount_all(roots: &[PathBuf]) -> Vec<PathBuf> {
    for _ in 0..5 {
        let mounts = mounts_under(roots);
        if mounts.is_empty() {
            break;
        }
        // Newest first: a mount can sit on one made before it.
        for m in mounts.iter().rev() {
            if let Ok(c) = std::ffi::CString::new(m.as_os_str().as_encoded_bytes()) {
                // SAFETY: umount2 reads the NUL-terminated path and nothing else.
                unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
            }
        }
    }
    mounts_under(roots)
}

/// mountinfo writes space, tab, newline and backslash as octal escapes (`\040`); a literal
/// `\040` in a name is `\134040`, which has no `\040` in it, so the order below is safe.
fn unescape(field: &str) -> PathBuf {
    PathBuf::from(field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\"))
}

/// Creates `bridge` on the first free /24 from `seed` on, and records the subnet in `record`.
pub fn make_bridge(bridge: &str, seed: u32, record: &Path) -> Result<()> {
    let mut taken = Vec::new();
    let addrs: serde_json::Value = serde_json::from_str(&run_ip(&["-j", "-4", "addr", "show"])?)?;
    for a in addrs.as_array().into_iter().flatten().flat_map(|l| l["addr_info"].as_array().into_iter().flatten()) {
        let prefix = a["local"].as_str().zip(a["prefixlen"].as_u64());
        taken.extend(prefix.and_then(|(ip, len)| parse_prefix(&format!("{ip}/{len}"))));
    }
    // Routes too: an address on an interface that is down has no route, a VPN's route no address.
    let routes: serde_json::Value = serde_json::from_str(&run_ip(&["-j", "-4", "route", "show", "table", "all"])?)?;
    taken.extend(routes.as_array().into_iter().flatten().filter_map(|r| parse_prefix(r["dst"].as_str()?)));
    let subnet = free_subnet(&taken, seed).ok_or_else(|| eyre!("no free /24 in 10.200.0.0-10.254.255.0"))?;
    run_ip(&["link", "add", "name", bridge, "type", "bridge"])?;
    run_ip(&["addr", "add", &format!("{}/24", Ipv4Addr::from(subnet + 1)), "dev", bridge])?;
    run_ip(&["link", "set", bridge, "up"])?;
    std::fs::write(record, format!("{}/24\n", Ipv4Addr::from(subnet)))
        .wrap_err_with(|| format!("cannot write {}", record.display()))
}

/// Deletes the bridge and any interface still attached to it; no bridge is fine.
pub fn delete_bridge(bridge: &str) -> Result<()> {
    let sys = PathBuf::from("/sys/class/net").join(bridge);
    if !sys.exists() {
        return Ok(());
    }
    for port in std::fs::read_dir(sys.join("brif")).into_iter().flatten().filter_map(|e| e.ok()) {
        // A container's veth normally goes with its network namespace; this is for the rest.
        let _ = run_ip(&["link", "delete", &port.file_name().to_string_lossy()]);
    }
    run_ip(&["link", "delete", bridge]).map(|_| ())
}

/// `ip ARGS`, its output, within [`IP_LIMIT`].
fn run_ip(args: &[&str]) -> Result<String> {
    let ip = find_binary("ip", "iproute2")?;
    let what = format!("ip {}", args.join(" "));
    let mut child = Command::new(ip)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .wrap_err_with(|| format!("cannot run {what}"))?;
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    // Read while it runs, so a long answer (a big route table) cannot fill the pipe and stall it.
    let reader = std::thread::spawn(move || {
        let (mut out, mut err) = (String::new(), String::new());
        let _ = stdout.map(|mut s| s.read_to_string(&mut out));
        let _ = stderr.map(|mut s| s.read_to_string(&mut err));
        (out, err)
    });
    let deadline = Instant::now() + IP_LIMIT;
    let status = loop {
        match child.try_wait().wrap_err_with(|| format!("waiting for {what}"))? {
            Some(status) => break status,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(eyre!("{what} did not finish within {}s", IP_LIMIT.as_secs()));
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let (out, err) = reader.join().map_err(|_| eyre!("reading the output of {what} failed"))?;
    match status.success() {
        true => Ok(out),
        false => Err(eyre!("{what} failed ({status}): {}", err.trim())),
    }
}

/// `a.b.c.d/len` or `a.b.c.d` (a /32) as (address bits, length).
fn parse_prefix(text: &str) -> Option<(u32, u32)> {
    let (ip, len) = text.split_once('/').unwrap_or((text, "32"));
    let len: u32 = len.parse().ok().filter(|l| *l <= 32)?;
    Some((u32::from(ip.parse::<Ipv4Addr>().ok()?), len))
}

fn overlaps((a, a_len): (u32, u32), (b, b_len): (u32, u32)) -> bool {
    let mask = u32::MAX.checked_shl(32 - a_len.min(b_len)).unwrap_or(0);
    (a ^ b) & mask == 0
}

/// The first /24 of the range, starting at `seed`, that overlaps nothing in `taken`.
fn free_subnet(taken: &[(u32, u32)], seed: u32) -> Option<u32> {
    (0..SUBNETS)
        .map(|i| FIRST_SUBNET + (seed.wrapping_add(i) % SUBNETS) * 256)
        .find(|net| !taken.iter().any(|t| overlaps((*net, 24), *t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_avoid_what_is_taken() {
        let docker0 = parse_prefix("172.17.0.0/16").expect("prefix");
        let first = parse_prefix("10.200.0.0/24").expect("prefix");
        assert_eq!(free_subnet(&[docker0], 0), Some(FIRST_SUBNET));
        assert_eq!(free_subnet(&[docker0, first], 0), Some(FIRST_SUBNET + 256));
        assert_eq!(free_subnet(&[parse_prefix("10.0.0.0/8").expect("prefix")], 7), None);
        assert!(overlaps(parse_prefix("10.200.3.7").expect("host"), (FIRST_SUBNET + 3 * 256, 24)));
        assert!(overlaps((0, 0), (FIRST_SUBNET, 24)));
        assert!(!overlaps(parse_prefix("10.201.0.1").expect("host"), (FIRST_SUBNET, 24)));
    }

    #[test]
    fn mountinfo_escapes_are_decoded() {
        assert_eq!(unescape(r"/tmp/a\040b\134c"), PathBuf::from("/tmp/a b\\c"));
        assert_eq!(unescape(r"/tmp/a\134040b"), PathBuf::from(r"/tmp/a\040b"));
    }
}
