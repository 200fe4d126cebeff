//! Text that came from outside the process (container names, labels, tags, health bodies, alert
//! annotations, error lines) passes through here before it can reach the terminal: control
//! characters are removed so nothing a remote system says can move the cursor, change colours or
//! clear the screen. Inside [`masking`] (which `update` wraps around every message), known secret
//! values are masked as well.

use crate::secrets::Secrets;
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

/// Removes control characters (C0, DEL, C1) and other format characters that move the cursor or
/// reorder text (bidi overrides). Tabs and newlines become a space, so a value stays on its line.
pub fn clean(input: &str) -> Cow<'_, str> {
    if !input.chars().any(needs_work) {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(' '),
            c if is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A whole printed message (possibly several lines, possibly with a value from outside in it)
/// made safe for a terminal: each line [`clean`]ed, the line breaks kept. What the CLI prints goes
/// through this, so a tag, a reason or a `/health` body excerpt cannot send escape sequences.
pub fn printable(input: &str) -> Cow<'_, str> {
    if !input.chars().any(|c| c != '\n' && needs_work(c)) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(input.split('\n').map(|line| clean(line)).collect::<Vec<_>>().join("\n"))
}

/// [`clean`], owned, with known secret values masked inside [`masking`].
pub fn cleaned(input: &str) -> String {
    mask_active(clean(input).into_owned())
}

thread_local! {
    /// The secrets [`masking`] has put in force on this thread.
    static ACTIVE: RefCell<Option<Arc<Secrets>>> = const { RefCell::new(None) };
}

/// Runs `f` with `secrets` masked by [`cleaned`] and by every [`Sanitize`] impl, so each outside
/// string is cleaned and masked at the one place it comes in, whatever type carries it. Scoped to
/// this thread and to `f` (restored after it, even on a panic); `f` must not await.
pub fn masking<T>(secrets: &Arc<Secrets>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Arc<Secrets>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            ACTIVE.with(|a| *a.borrow_mut() = previous);
        }
    }
    let active = (!secrets.is_empty()).then(|| secrets.clone());
    let _restore = Restore(ACTIVE.with(|a| std::mem::replace(&mut *a.borrow_mut(), active)));
    f()
}

fn mask_active(text: String) -> String {
    ACTIVE.with(|a| match &*a.borrow() {
        Some(secrets) => secrets.mask_owned(text),
        None => text,
    })
}

fn needs_work(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || is_unsafe(c)
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        // Bidirectional overrides and isolates can make a tag read as something it is not.
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Values from backends get every outside string cleaned in one place, when `update` takes them in.
pub trait Sanitize {
    fn sanitized(self) -> Self;
}

impl Sanitize for String {
    fn sanitized(self) -> Self {
        let cleaned = match clean(&self) {
            Cow::Borrowed(_) => self,
            Cow::Owned(s) => s,
        };
        mask_active(cleaned)
    }
}

impl<T: Sanitize> Sanitize for Vec<T> {
    fn sanitized(self) -> Self {
        self.into_iter().map(Sanitize::sanitized).collect()
    }
}

impl<T: Sanitize> Sanitize for Option<T> {
    fn sanitized(self) -> Self {
        self.map(Sanitize::sanitized)
    }
}

impl<V: Sanitize> Sanitize for std::collections::BTreeMap<String, V> {
    fn sanitized(self) -> Self {
        self.into_iter().map(|(k, v)| (k.sanitized(), v.sanitized())).collect()
    }
}

mod backend_types {
    use super::Sanitize;
    use opsdeck_backends::types::*;

    impl Sanitize for ContainerInfo {
        fn sanitized(self) -> Self {
            ContainerInfo {
                id: self.id.sanitized(),
                name: self.name.sanitized(),
                labels: self.labels.sanitized(),
                image: self.image.sanitized(),
                state: self.state.sanitized(),
                status: self.status.sanitized(),
                ..self
            }
        }
    }

    impl Sanitize for ServerStat {
        fn sanitized(self) -> Self {
            ServerStat {
                backend: self.backend.sanitized(),
                server: self.server.sanitized(),
                status: self.status.sanitized(),
                address: self.address.sanitized(),
                ..self
            }
        }
    }

    impl Sanitize for Alert {
        fn sanitized(self) -> Self {
            Alert {
                name: self.name.sanitized(),
                labels: self.labels.sanitized(),
                annotations: self.annotations.sanitized(),
                state: self.state.sanitized(),
                fingerprint: self.fingerprint.sanitized(),
                ..self
            }
        }
    }

    impl Sanitize for RegistryImage {
        fn sanitized(self) -> Self {
            RegistryImage {
                digest: self.digest.sanitized(),
                tags: self.tags.sanitized(),
                platforms: self.platforms.sanitized(),
                ..self
            }
        }
    }

    impl Sanitize for HealthReport {
        fn sanitized(self) -> Self {
            HealthReport {
                reason: self.reason.sanitized(),
                status_field: self.status_field.sanitized(),
                services: self.services.sanitized(),
                ..self
            }
        }
    }
}

mod store_types {
    use super::Sanitize;
    use crate::store::{JournalEntry, LockInfo};

    // The store is shared by every user of the bastion: what another process wrote is outside
    // text like any other.
    impl Sanitize for JournalEntry {
        fn sanitized(mut self) -> Self {
            let a = &mut self.action;
            for s in [&mut a.kind, &mut a.service, &mut a.env, &mut a.user, &mut a.to.tag, &mut a.to.digest] {
                *s = std::mem::take(s).sanitized();
            }
            if let Some(from) = a.from.as_mut() {
                from.tag = std::mem::take(&mut from.tag).sanitized();
                from.digest = std::mem::take(&mut from.digest).sanitized();
            }
            a.hosts = std::mem::take(&mut a.hosts).sanitized();
            for step in &mut self.steps {
                step.step_name = std::mem::take(&mut step.step_name).sanitized();
                step.detail = std::mem::take(&mut step.detail).sanitized();
            }
            if let Some(f) = self.finish.as_mut() {
                f.reason = std::mem::take(&mut f.reason).sanitized();
            }
            self
        }
    }

    impl Sanitize for LockInfo {
        fn sanitized(mut self) -> Self {
            for s in [&mut self.service, &mut self.env, &mut self.what, &mut self.holder.user, &mut self.holder.host] {
                *s = std::mem::take(s).sanitized();
            }
            self
        }
    }
}

mod approval_types {
    use super::Sanitize;
    use crate::store::{AuditRecord, ImageRef, Request};
    use serde_json::Value;

    // Requests and the audit trail are written by every user of the bastion: outside text too.
    impl Sanitize for ImageRef {
        fn sanitized(self) -> Self {
            ImageRef { tag: self.tag.sanitized(), digest: self.digest.sanitized() }
        }
    }

    impl Sanitize for Value {
        fn sanitized(self) -> Self {
            match self {
                Value::String(s) => Value::String(s.sanitized()),
                Value::Array(items) => Value::Array(items.into_iter().map(Sanitize::sanitized).collect()),
                Value::Object(map) => {
                    Value::Object(map.into_iter().map(|(k, v)| (k.sanitized(), v.sanitized())).collect())
                }
                other => other,
            }
        }
    }

    impl Sanitize for Request {
        fn sanitized(self) -> Self {
            Request {
                requested_by: self.requested_by.sanitized(),
                kind: self.kind.sanitized(),
                service: self.service.sanitized(),
                env: self.env.sanitized(),
                from: self.from.sanitized(),
                to: self.to.sanitized(),
                hosts: self.hosts.sanitized(),
                reason: self.reason.sanitized(),
                plan: self.plan.sanitized(),
                decided_by: self.decided_by.sanitized(),
                decision_reason: self.decision_reason.sanitized(),
                ..self
            }
        }
    }

    impl Sanitize for AuditRecord {
        fn sanitized(mut self) -> Self {
            let e = &mut self.entry;
            for s in [&mut e.user, &mut e.kind, &mut e.subject, &mut e.outcome] {
                *s = std::mem::take(s).sanitized();
            }
            e.detail = std::mem::take(&mut e.detail).sanitized();
            self
        }
    }
}

/// `41337` -> `41,337`: counts on screen are read at a glance.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn printable_keeps_line_breaks_and_drops_the_rest() {
        assert_eq!(printable("a\nb"), "a\nb");
        assert_eq!(printable("tag v1\x1b[31m\nreason\x07 x\tz"), "tag v1[31m\nreason x z");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
    }

    use super::*;

    #[test]
    fn plain_text_is_borrowed_untouched() {
        assert!(matches!(clean("api-prod-blue v1.2.0 ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_lose_their_escape() {
        // ESC is removed; the printable rest stays visible as text, which is what an operator
        // should see when a label tries to repaint the screen.
        assert_eq!(clean("\x1b[2J\x1b[31mred"), "[2J[31mred");
        assert_eq!(clean("a\x07b\x00c\x7fd\u{9b}e"), "abcde");
    }

    #[test]
    fn line_breaks_and_tabs_become_spaces() {
        assert_eq!(clean("one\ntwo\tthree\r"), "one two three ");
    }

    #[test]
    fn bidi_overrides_are_removed() {
        assert_eq!(clean("v1.2\u{202E}0.3"), "v1.20.3");
    }

    #[test]
    fn secrets_are_masked_inside_masking_only() {
        use crate::secrets::MASK;
        let secrets = Arc::new(Secrets::new(["s3cr3t-Val-42"]));
        let body = "token s3cr3t-Val-42\n".to_string();
        assert_eq!(body.clone().sanitized(), "token s3cr3t-Val-42 ");
        let (a, b) = masking(&secrets, || (body.clone().sanitized(), cleaned("e: s3cr3t-Val-42")));
        assert_eq!((a.as_str(), b.as_str()), (format!("token {MASK} ").as_str(), format!("e: {MASK}").as_str()));
        assert_eq!(cleaned("s3cr3t-Val-42"), "s3cr3t-Val-42", "restored after the scope");
        // Nested scopes restore the outer one; a panic inside restores too.
        masking(&secrets, || {
            masking(&Arc::new(Secrets::default()), || assert_eq!(cleaned("s3cr3t-Val-42"), "s3cr3t-Val-42"));
            assert_eq!(cleaned("s3cr3t-Val-42"), MASK);
        });
        let _ = std::panic::catch_unwind(|| masking(&secrets, || panic!("inside")));
        assert_eq!(cleaned("s3cr3t-Val-42"), "s3cr3t-Val-42");
    }

    #[test]
    fn backend_values_are_cleaned_field_by_field() {
        use opsdeck_backends::types::Alert;
        let alert = Alert {
            name: "High\x1b]0;pwned\x07Errors".into(),
            labels: [("service\n".to_string(), "api\x1b[1m".to_string())].into(),
            annotations: Default::default(),
            state: "active".into(),
            starts_at: None,
            fingerprint: "f".into(),
        }
        .sanitized();
        assert_eq!(alert.name, "High]0;pwnedErrors");
        assert_eq!(alert.labels.get("service ").map(String::as_str), Some("api[1m"));
    }
}
