//! `cargo xtask sctp-vm`: run hark's kernel-SCTP tests inside a real Linux kernel.
//!
//! The machines hark is developed on have no kernel SCTP, and KVM does not work there, so this
//! task boots Debian's own kernel under `qemu-system-x86_64 -accel tcg`:
//!
//! 1. `apt-get download` the kernel image package and busybox-static (cached in
//!    `target/sctp-vm/`), and unpack them with `dpkg-deb -x`;
//! 2. build the kernel-SCTP integration tests (`tests/sctp_kernel.rs`, feature `kernel-sctp`)
//!    as one statically linked test binary;
//! 3. pack busybox, `sctp.ko` with its dependencies (read from each module's `.modinfo`), and
//!    the test binary into an initramfs whose `/init` loads the modules, enables
//!    `net.sctp.reconf_enable`, and runs the tests on loopback;
//! 4. boot it, stream the serial console, and turn the `HARK-SCTP-VM-EXIT=<code>` line the
//!    guest prints into this task's exit status.

use crate::cpio::Cpio;
use crate::util;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The line the guest prints with the tests' exit status.
const EXIT_MARKER: &str = "HARK-SCTP-VM-EXIT=";

/// Modules loaded before SCTP that `.modinfo` names only as soft dependencies.
const SOFT_DEPENDENCIES: &[&str] = &["crc32c_generic"];

/// Runs the kernel-SCTP tests in a VM; `test_args` go to the test binary.
pub fn run(timeout_secs: u64, test_args: &[String]) -> Result<(), String> {
    util::ensure_debian_packages(&["qemu-system-x86"])?;
    let work = util::workspace_root().join("target/sctp-vm");
    std::fs::create_dir_all(&work).map_err(|err| format!("{}: {err}", work.display()))?;

    let kernel_package = kernel_package_name()?;
    let kernel_root = unpack(&work, &kernel_package)?;
    let busybox_root = unpack(&work, "busybox-static")?;
    let tests = build_tests()?;

    let release = std::fs::read_dir(kernel_root.join("lib/modules"))
        .map_err(|err| format!("kernel modules: {err}"))?
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .next()
        .ok_or("the kernel package has no lib/modules/<release>")?;
    let vmlinuz = kernel_root.join(format!("boot/vmlinuz-{release}"));
    let modules = module_load_order(&kernel_root.join("lib/modules").join(&release), "sctp")?;
    eprintln!(
        "xtask: kernel {release}; modules {:?}",
        modules.iter().map(|(name, _)| name).collect::<Vec<_>>()
    );

    let initramfs = work.join("initramfs.cpio");
    let archive = build_initramfs(&busybox_root, &modules, &tests, test_args)?;
    std::fs::write(&initramfs, archive).map_err(|err| format!("initramfs: {err}"))?;
    boot(&vmlinuz, &initramfs, Duration::from_secs(timeout_secs))
}

/// The versioned kernel image package that `linux-image-amd64` depends on.
fn kernel_package_name() -> Result<String, String> {
    let query = || {
        Command::new("apt-cache")
            .args(["depends", "linux-image-amd64"])
            .output()
            .ok()
            .and_then(|out| {
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter_map(|line| line.trim().strip_prefix("Depends: "))
                    .find(|name| name.starts_with("linux-image-"))
                    .map(str::to_owned)
            })
    };
    if let Some(name) = query() {
        return Ok(name);
    }
    let mut update = Command::new("apt-get");
    update.args(["update", "-qq"]);
    util::run(update)?;
    query().ok_or_else(|| "apt-cache finds no linux-image-amd64 dependency".to_string())
}

/// Downloads `package` with apt-get (once) and unpacks it; returns the unpacked root.
fn unpack(work: &Path, package: &str) -> Result<PathBuf, String> {
    let root = work.join(format!("root-{package}"));
    if root.join(".unpacked").exists() {
        return Ok(root);
    }
    let debs = work.join("debs");
    std::fs::create_dir_all(&debs).map_err(|err| err.to_string())?;
    let find_deb = || {
        std::fs::read_dir(&debs).ok().and_then(|dir| {
            dir.filter_map(Result::ok)
                .map(|entry| entry.path())
                .find(|path| {
                    path.file_name()
                        .and_then(|name| name.to_str())
                        .is_some_and(|name| name.starts_with(&format!("{package}_")))
                })
        })
    };
    if find_deb().is_none() {
        let mut download = Command::new("apt-get");
        download.current_dir(&debs).args(["download", package]);
        util::run(download)?;
    }
    let deb = find_deb().ok_or_else(|| format!("apt-get download {package} left no .deb"))?;
    let mut extract = Command::new("dpkg-deb");
    extract.arg("-x").arg(&deb).arg(&root);
    util::run(extract)?;
    std::fs::write(root.join(".unpacked"), b"").map_err(|err| err.to_string())?;
    Ok(root)
}

/// Builds the kernel-SCTP tests statically linked and returns the test executable.
fn build_tests() -> Result<PathBuf, String> {
    let target = "x86_64-unknown-linux-gnu";
    let output = util::cargo()
        .args([
            "test",
            "--no-run",
            "--package",
            "hark-suite",
            "--features",
            "kernel-sctp",
            "--test",
            "sctp_kernel",
            "--target",
            target,
            "--message-format=json-render-diagnostics",
        ])
        // With an explicit --target, build scripts and proc macros stay dynamic.
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("cargo test --no-run: {err}"))?;
    if !output.status.success() {
        return Err("building the kernel-SCTP tests failed".into());
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains("\"name\":\"sctp_kernel\""))
        .find_map(|line| {
            let start = line.find("\"executable\":\"")? + "\"executable\":\"".len();
            let end = line[start..].find('"')? + start;
            Some(PathBuf::from(&line[start..end]))
        })
        .ok_or_else(|| "cargo reported no sctp_kernel test executable".to_string())
}

/// The modules to insmod, dependencies first: `(name, path)`.
fn module_load_order(modules_dir: &Path, module: &str) -> Result<Vec<(String, PathBuf)>, String> {
    let mut index = BTreeMap::new();
    index_modules(&modules_dir.join("kernel"), &mut index)?;
    let mut order = Vec::new();
    for soft in SOFT_DEPENDENCIES {
        visit(soft, &index, &mut order)?;
    }
    visit(module, &index, &mut order)?;
    Ok(order)
}

fn index_modules(dir: &Path, index: &mut BTreeMap<String, PathBuf>) -> Result<(), String> {
    for entry in std::fs::read_dir(dir).map_err(|err| format!("{}: {err}", dir.display()))? {
        let path = entry.map_err(|err| err.to_string())?.path();
        if path.is_dir() {
            index_modules(&path, index)?;
        } else if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            if let Some(stem) = name.strip_suffix(".ko") {
                index.insert(stem.replace('-', "_"), path.clone());
            }
        }
    }
    Ok(())
}

fn visit(
    name: &str,
    index: &BTreeMap<String, PathBuf>,
    order: &mut Vec<(String, PathBuf)>,
) -> Result<(), String> {
    let name = name.replace('-', "_");
    if order.iter().any(|(done, _)| *done == name) {
        return Ok(());
    }
    let path = index
        .get(&name)
        .ok_or_else(|| format!("module {name} is not in the kernel package"))?;
    let bytes = std::fs::read(path).map_err(|err| format!("{}: {err}", path.display()))?;
    for dependency in modinfo_depends(&bytes) {
        visit(&dependency, index, order)?;
    }
    order.push((name, path.clone()));
    Ok(())
}

/// The `depends=` entry of a module's `.modinfo` strings (NUL-separated `key=value`).
fn modinfo_depends(module: &[u8]) -> Vec<String> {
    module
        .split(|&b| b == 0)
        .filter_map(|field| field.strip_prefix(b"depends="))
        .flat_map(|list| {
            String::from_utf8_lossy(list)
                .split(',')
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn build_initramfs(
    busybox_root: &Path,
    modules: &[(String, PathBuf)],
    tests: &Path,
    test_args: &[String],
) -> Result<Vec<u8>, String> {
    let read =
        |path: &Path| std::fs::read(path).map_err(|err| format!("{}: {err}", path.display()));
    let mut cpio = Cpio::default();
    for dir in ["bin", "proc", "sys", "dev", "tmp", "modules"] {
        cpio.dir(dir);
    }
    cpio.file(
        "bin/busybox",
        &read(&busybox_root.join("bin/busybox"))?,
        true,
    );
    for applet in [
        "sh", "mount", "ip", "insmod", "sysctl", "poweroff", "echo", "cat",
    ] {
        cpio.symlink(&format!("bin/{applet}"), "busybox");
    }
    let mut insmods = String::new();
    for (name, path) in modules {
        cpio.file(&format!("modules/{name}.ko"), &read(path)?, false);
        insmods.push_str(&format!(
            "insmod /modules/{name}.ko || echo \"HARK-SCTP-VM: insmod {name} failed\"\n"
        ));
    }
    cpio.file("hark-sctp-tests", &read(tests)?, true);
    let args: Vec<String> = test_args.iter().map(|arg| format!("'{arg}'")).collect();
    let init = format!(
        "#!/bin/sh\n\
         export PATH=/bin HOME=/tmp RUST_BACKTRACE=1\n\
         mount -t proc proc /proc\n\
         mount -t sysfs sys /sys\n\
         mount -t devtmpfs dev /dev\n\
         mount -t tmpfs tmp /tmp\n\
         ip link set lo up\n\
         {insmods}\
         sysctl -w net.sctp.reconf_enable=1\n\
         sysctl -w net.sctp.addip_enable=1\n\
         sysctl -w net.sctp.auth_enable=1\n\
         echo HARK-SCTP-VM-START\n\
         /hark-sctp-tests --test-threads=1 {args}\n\
         echo \"{EXIT_MARKER}$?\"\n\
         poweroff -f\n",
        args = args.join(" ")
    );
    cpio.file("init", init.as_bytes(), true);
    Ok(cpio.finish())
}

fn boot(vmlinuz: &Path, initramfs: &Path, timeout: Duration) -> Result<(), String> {
    let started = Instant::now();
    let mut child = Command::new("qemu-system-x86_64")
        .args([
            "-accel",
            "tcg",
            "-m",
            "1024",
            "-smp",
            "1",
            "-nographic",
            "-no-reboot",
        ])
        .arg("-kernel")
        .arg(vmlinuz)
        .arg("-initrd")
        .arg(initramfs)
        .args(["-append", "console=ttyS0 panic=-1 quiet loglevel=3"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|err| format!("qemu-system-x86_64: {err}"))?;
    let stdout = child.stdout.take().ok_or("qemu has no stdout")?;
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut exit_code = None;
    loop {
        let left = timeout.saturating_sub(started.elapsed());
        match lines.recv_timeout(left) {
            Ok(line) => {
                eprintln!("vm| {line}");
                if let Some(code) = line.trim().strip_prefix(EXIT_MARKER) {
                    exit_code = code.trim().parse::<i32>().ok();
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the VM did not finish within {timeout:?}"));
            }
        }
    }
    let _ = child.wait();
    eprintln!("xtask: VM ran for {:.1} s", started.elapsed().as_secs_f64());
    match exit_code {
        Some(0) => Ok(()),
        Some(code) => Err(format!("kernel-SCTP tests failed in the VM (exit {code})")),
        None => Err("the VM stopped without reporting the tests' exit status".into()),
    }
}
