//! `y` and `Y`: the selection as text to paste: its digest or tag (`y`), or the `opsdeck` command
//! line that does what its key does (`Y`). `update` only says what to copy ([`Cmd::Copy`]); the
//! runtime writes it to the terminal's clipboard (OSC 52). The status bar says what was copied.

use crate::keymap::Action;
use crate::model::{Model, Pane};
use crate::msg::Cmd;
use opsdeck_backends::types::labels;
use opsdeck_core::text::cleaned;

/// How much of the copied text the status bar shows.
const SHOWN: usize = 40;

/// `y` (`command` false) or `Y` (true) in a main pane.
pub(super) fn copy(model: &mut Model, command: bool) -> Vec<Cmd> {
    let found = if command { command_line(model) } else { value(model) };
    let Some((what, text)) = found else {
        let (key, panes) = match command {
            true => (model.keymap.label(Action::CopyCommand), "the Environments, Images or Approvals pane"),
            false => (model.keymap.label(Action::Copy), "the Environments, Images or Health pane"),
        };
        model.ui.notice = Some(format!("nothing to copy here: {key} copies from a row of {panes}"));
        return Vec::new();
    };
    // Outside text (tags, digests, names) pasted into a shell: no control character gets through.
    let text = cleaned(&text);
    model.ui.notice = Some(format!("copied {what} {}", shown(&text)));
    vec![Cmd::Copy(text)]
}

/// The selected row's digest (Images, Health) or the live tag (Environments), and what it is.
fn value(model: &Model) -> Option<(&'static str, String)> {
    match model.ui.focus {
        Pane::Images => {
            let rows = model.world.image_rows(model.selected_service()?);
            let row = rows.get(model.ui.image_row)?;
            match row.tags.first() {
                _ if !row.digest.is_empty() => Some(("digest", row.digest.clone())),
                Some(tag) => Some(("tag", tag.clone())),
                None => None,
            }
        }
        Pane::Health => {
            let rows = model.world.slot_rows(model.selected_env());
            let container = rows.get(model.ui.health_row)?.container.clone()?;
            match container.label(labels::DIGEST).filter(|d| !d.is_empty()) {
                Some(digest) => Some(("digest", digest.to_string())),
                None => Some(("image", container.label(labels::IMAGE).unwrap_or(&container.image).to_string())),
            }
        }
        Pane::Environments => {
            let image = model.world.service_cell(model.selected_env()?, model.selected_service()?)?.image?;
            match image.tag.is_empty() {
                false => Some(("tag", image.tag)),
                true => Some(("image", image.reference)),
            }
        }
        Pane::Alerts | Pane::Actions | Pane::Approvals => None,
    }
}

/// The command line that does what the selection's key does: a promote of the selected cell
/// (Environments) or of the selected image into the selected environment (Images), the approval
/// of the selected request (Approvals).
fn command_line(model: &Model) -> Option<(&'static str, String)> {
    let words: Vec<String> = match model.ui.focus {
        Pane::Environments => {
            let (service, env) = (model.selected_service()?, model.selected_env()?);
            vec!["promote".into(), service.into(), "--to".into(), env.into()]
        }
        Pane::Images => {
            let (service, env) = (model.selected_service()?, model.selected_env()?);
            let rows = model.world.image_rows(service);
            let row = rows.get(model.ui.image_row)?;
            let image = row.tags.first().cloned().unwrap_or_else(|| row.digest.clone());
            vec!["promote".into(), service.into(), "--to".into(), env.into(), "--image".into(), image]
        }
        Pane::Approvals => {
            let request = *model.world.request_rows().get(model.ui.approval_row)?;
            vec!["approve".into(), request.id.to_string()]
        }
        Pane::Health | Pane::Alerts | Pane::Actions => return None,
    };
    let line = std::iter::once("opsdeck".to_string()).chain(words.iter().map(|w| shell_word(w))).collect::<Vec<_>>();
    Some(("command", line.join(" ")))
}

/// `word` as a shell reads it back: as is when it holds only safe characters, else single-quoted.
fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_.:/@+=,".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The first [`SHOWN`] characters of `text`, with `…` when there is more.
fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Msg;
    use crate::test_support::{gen_approvals_model, gen_demo_model_all_up};
    use crate::update::update;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn press(m: &mut Model, c: char) -> Vec<Cmd> {
        update(m, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)))
    }

    /// `y` on an image row copies its digest; `Y` the promote of its tag into the selected
    /// environment, as the CLI takes it.
    #[test]
    fn y_on_an_image_row_copies_its_digest_and_y_upper_the_promote() {
        let mut m = gen_demo_model_all_up();
        m.ui.focus = Pane::Images;
        m.ui.image_row = 1;
        let row = m.world.image_rows("api")[1].clone();
        let cmds = press(&mut m, 'y');
        assert_eq!(cmds, vec![Cmd::Copy(row.digest.clone())]);
        let notice = m.ui.notice.clone().unwrap_or_default();
        assert_eq!(notice, format!("copied digest {}…", &row.digest[..SHOWN]));
        let env = m.selected_env().unwrap_or_default().to_string();
        let cmds = press(&mut m, 'Y');
        let line = format!("opsdeck promote api --to {env} --image {}", row.tags[0]);
        assert_eq!(cmds, vec![Cmd::Copy(line.clone())]);
        assert_eq!(m.ui.notice, Some(format!("copied command {}", shown(&line))));
    }

    /// `y` on a container row (Health pane) copies the digest of the image the container runs.
    #[test]
    fn y_on_a_container_row_copies_its_image_digest() {
        let mut m = gen_demo_model_all_up();
        m.ui.focus = Pane::Health;
        let row = m.world.slot_rows(m.selected_env()).into_iter().find(|r| r.container.is_some()).expect("a container");
        m.ui.health_row = m.world.slot_rows(m.selected_env()).iter().position(|r| r.id == row.id).unwrap_or(0);
        let digest = row.container.as_ref().and_then(|c| c.label(labels::DIGEST)).expect("digest label").to_string();
        assert_eq!(press(&mut m, 'y'), vec![Cmd::Copy(digest.clone())]);
        assert!(m.ui.notice.as_deref().is_some_and(|n| n.starts_with("copied digest sha256:")), "{:?}", m.ui.notice);
        // A container row has no command to copy: the bar says where there is one.
        assert_eq!(press(&mut m, 'Y'), Vec::new());
        assert!(m.ui.notice.as_deref().is_some_and(|n| n.starts_with("nothing to copy here: Y copies")));
    }

    /// The selected request copies as the `opsdeck approve` that decides it.
    #[test]
    fn y_upper_on_a_request_copies_its_approve() {
        let mut m = gen_approvals_model();
        m.ui.focus = Pane::Approvals;
        let id = m.world.request_rows()[0].id;
        assert_eq!(press(&mut m, 'Y'), vec![Cmd::Copy(format!("opsdeck approve {id}"))]);
    }

    /// What is copied is cleaned of control characters, and odd words are quoted for a shell.
    #[test]
    fn copied_text_is_clean_and_quoted() {
        let mut m = gen_demo_model_all_up();
        m.ui.focus = Pane::Images;
        let service = m.selected_service().unwrap_or_default().to_string();
        if let Some(images) = m.world.registry.images.get_mut(&service) {
            images[0].tags = vec!["v1\u{1b}]52;x\u{7} it's".into()];
        }
        let cmds = press(&mut m, 'Y');
        let env = m.selected_env().unwrap_or_default().to_string();
        assert_eq!(cmds, vec![Cmd::Copy(format!("opsdeck promote {service} --to {env} --image 'v1]52;x it'\\''s'"))]);
    }
}
