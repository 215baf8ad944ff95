//! Path sanitising: a torrent names files with components that must stay inside the
//! download directory on every system.

use super::PathProblem;

/// Windows device names, reserved with or without an extension, in any case.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Checks one component of a file path (or the torrent's name): not empty, not `.` or
/// `..`, no separator, drive or NUL character, not a reserved device name.
///
/// ```
/// use hark_wire::bt::metainfo::{PathProblem, check_component};
///
/// assert_eq!(check_component("Season 1"), Ok(()));
/// assert_eq!(check_component(".."), Err(PathProblem::ParentDir));
/// assert_eq!(check_component("/etc"), Err(PathProblem::ForbiddenCharacter('/')));
/// assert_eq!(check_component("nul.txt"), Err(PathProblem::Reserved));
/// ```
pub fn check_component(component: &str) -> Result<(), PathProblem> {
    match component {
        "" => return Err(PathProblem::Empty),
        "." => return Err(PathProblem::CurrentDir),
        ".." => return Err(PathProblem::ParentDir),
        _ => {}
    }
    if let Some(c) = component
        .chars()
        .find(|c| matches!(c, '/' | '\\' | ':' | '\0'))
    {
        return Err(PathProblem::ForbiddenCharacter(c));
    }
    let stem = component.split('.').next().unwrap_or_default().trim_end();
    if RESERVED.iter().any(|name| name.eq_ignore_ascii_case(stem)) {
        return Err(PathProblem::Reserved);
    }
    Ok(())
}
