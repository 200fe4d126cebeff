//! Who is at the keyboard: the OS user, or the user who ran `sudo`.

/// `SUDO_USER` when run through sudo, else the login name of the real user id.
pub fn current_user() -> String {
    if let Some(u) = std::env::var("SUDO_USER").ok().filter(|u| !u.is_empty()) {
        return crate::text::cleaned(&u);
    }
    // SAFETY: getpwuid returns a pointer into static storage or null; we copy the name at once.
    let name = unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if pw.is_null() || (*pw).pw_name.is_null() {
            None
        } else {
            Some(std::ffi::CStr::from_ptr((*pw).pw_name).to_string_lossy().into_owned())
        }
    };
    name.or_else(|| std::env::var("USER").ok()).map(|n| crate::text::cleaned(&n)).unwrap_or_else(|| "unknown".into())
}
