//! `hark decode sctp`: print an SCTP notification field by field with pysctp's names.

use hark_wire::sctp::{
    Abi, AssocChangeState, AuthIndication, DictValue, Layout, Notification, NotificationType,
    PdapiIndication, PeerAddrState, SendFailedFlags,
};
use std::fmt::Write as _;

/// Decodes `hex` (whitespace and `:` allowed, optional `0x`) as one notification in `layout`
/// (`linux`, `freebsd`, or the host's when `None`) and returns the text to print, one
/// `key: value` line per field of pysctp's dictionary. Bad input gives the typed error's
/// message.
pub fn run(layout: Option<&str>, hex: &str) -> Result<String, String> {
    let layout = match layout {
        None => Layout::host(),
        Some("linux") => Layout::Linux,
        Some("freebsd") => Layout::FreeBsd,
        Some(other) => {
            return Err(format!(
                "unknown layout {other:?}: expected \"linux\" or \"freebsd\""
            ));
        }
    };
    let bytes = crate::hex::decode(hex)?;
    let notification = Notification::parse(&bytes, Abi::new(layout))
        .map_err(|e| format!("malformed SCTP notification: {e}"))?;
    let dict = notification
        .to_dict(layout)
        .map_err(|e| format!("cannot show notification: {e}"))?;
    let mut out = String::new();
    let kind = notification.kind();
    let _ = writeln!(
        out,
        "{} ({} layout, {} bytes)",
        kind.name(),
        layout.name(),
        bytes.len()
    );
    for (key, value) in dict.iter() {
        let _ = write!(out, "{key}: {value}");
        if let Some(name) = annotation(key, value, kind, layout) {
            let _ = write!(out, " ({name})");
        }
        out.push('\n');
    }
    Ok(out)
}

/// The symbolic name of a raw value, where the seed names one.
fn annotation(
    key: &str,
    value: &DictValue<'_>,
    kind: NotificationType,
    layout: Layout,
) -> Option<String> {
    let DictValue::Int(v) = value else {
        if let (DictValue::Tuple(features), "sac_info") = (value, key) {
            let names: Vec<String> = features
                .iter()
                .map(|&f| {
                    hark_wire::sctp::AssocFeature::from_raw(f, layout)
                        .name()
                        .map_or_else(|| format!("unknown {f}"), str::to_owned)
                })
                .collect();
            return Some(names.join(", "));
        }
        return None;
    };
    let name = match key {
        "sn_type" => Some(kind.name()),
        "sac_state" => AssocChangeState::from_raw(u16::try_from(*v).ok()?, layout).name(),
        "spc_state" => PeerAddrState::from_raw(u32::try_from(*v).ok()?, layout).name(),
        "pdapi_indication" => PdapiIndication::from_raw(u32::try_from(*v).ok()?, layout).name(),
        "auth_indication" => AuthIndication::from_raw(u32::try_from(*v).ok()?, layout).name(),
        "ssfe_flags" | "ssf_flags" => {
            SendFailedFlags::from_raw(u16::try_from(*v).ok()?, layout).name()
        }
        _ => None,
    };
    name.map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::run;

    #[test]
    fn decodes_the_seed_example() {
        let out = run(Some("linux"), "09800000 0c000000 03000000").unwrap();
        assert_eq!(
            out,
            "SCTP_SENDER_DRY_EVENT (linux layout, 12 bytes)\n\
             sn_type: 32777 (SCTP_SENDER_DRY_EVENT)\n\
             sender_dry_flags: 0\n\
             sender_dry_assoc_id: 3\n"
        );
    }

    #[test]
    fn decodes_freebsd_assoc_change_with_features() {
        let out = run(
            Some("freebsd"),
            "0100000018000000010000000a00ffff0300000001020304",
        )
        .unwrap();
        assert!(out.contains("sac_state: 1 (SCTP_COMM_UP)\n"), "{out}");
        assert!(out.contains(
            "sac_info: (1, 2, 3, 4) (SCTP_ASSOC_SUPPORTS_PR, SCTP_ASSOC_SUPPORTS_AUTH, \
             SCTP_ASSOC_SUPPORTS_ASCONF, SCTP_ASSOC_SUPPORTS_MULTIBUF)\n"
        ));
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert_eq!(
            run(Some("linux"), "09800000 0d000000 03000000").unwrap_err(),
            "malformed SCTP notification: length field says 13 bytes but 12 bytes were given"
        );
        assert!(
            run(Some("linux"), "098")
                .unwrap_err()
                .contains("odd number")
        );
        assert!(
            run(Some("linux"), "zz")
                .unwrap_err()
                .contains("invalid hex")
        );
        assert!(
            run(Some("solaris"), "00")
                .unwrap_err()
                .contains("unknown layout")
        );
        assert!(
            run(Some("freebsd"), "09800000 0c000000 03000000")
                .unwrap_err()
                .contains("unknown notification type 0x8009")
        );
    }
}
