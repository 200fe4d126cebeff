//! The console's overlays as one stack: what opens goes on top, the top one gets the keys, and
//! they are drawn bottom to top. One list decides both, so an overlay can never take keys while
//! another is drawn over it, and opening an overlay that is already open brings it to the top
//! instead of opening it twice.
//!
//! The Logs, Audit and silences views keep their state (filters, scroll, wrap) in [`UiState`]
//! between openings; their entry here only says that they are open and where.

use super::actions::{AbortConfirm, Confirm};
use super::approvals::{ApprovalView, RejectInput};
use super::container::ContainerView;
use super::palette::PaletteState;
use super::prune::PruneView;
use super::runbook::RunbookUi;
use super::silence::SilenceForm;
use super::UiState;
use opsdeck_core::world::SlotId;

/// One open overlay and what it shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// The Logs view (`L`), in place of the panes.
    Logs,
    /// The Audit view (`A`), in place of the panes.
    Audit,
    /// The silences list (`S`).
    Silences,
    /// The health chart (`v`) of this slot.
    HealthChart(SlotId),
    /// The container detail (Enter on a slot).
    Container(ContainerView),
    /// The runbook list or one runbook (`b`, or Enter on an alert).
    Runbook(RunbookUi),
    /// The command palette (`:`).
    Palette(PaletteState),
    /// The confirmation a destructive key asks for.
    Confirm(Confirm),
    /// The silence form `s` opened on an alert.
    SilenceForm(SilenceForm),
    /// The question `C` asks before aborting a running action.
    Abort(AbortConfirm),
    /// The prune overlay (`P`).
    Prune(PruneView),
    /// The approval view `a` opened on a request.
    Approval(ApprovalView),
    /// The reason `x` asks for before a rejection.
    Reject(RejectInput),
    /// Help (`?`).
    Help,
}

/// Which overlay, without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayKind {
    Logs,
    Audit,
    Silences,
    HealthChart,
    Container,
    Runbook,
    Palette,
    Confirm,
    SilenceForm,
    Abort,
    Prune,
    Approval,
    Reject,
    Help,
}

impl Overlay {
    pub fn kind(&self) -> OverlayKind {
        match self {
            Overlay::Logs => OverlayKind::Logs,
            Overlay::Audit => OverlayKind::Audit,
            Overlay::Silences => OverlayKind::Silences,
            Overlay::HealthChart(_) => OverlayKind::HealthChart,
            Overlay::Container(_) => OverlayKind::Container,
            Overlay::Runbook(_) => OverlayKind::Runbook,
            Overlay::Palette(_) => OverlayKind::Palette,
            Overlay::Confirm(_) => OverlayKind::Confirm,
            Overlay::SilenceForm(_) => OverlayKind::SilenceForm,
            Overlay::Abort(_) => OverlayKind::Abort,
            Overlay::Prune(_) => OverlayKind::Prune,
            Overlay::Approval(_) => OverlayKind::Approval,
            Overlay::Reject(_) => OverlayKind::Reject,
            Overlay::Help => OverlayKind::Help,
        }
    }
}

impl OverlayKind {
    /// A question or an input the operator is in the middle of: nothing opened on its own (a
    /// runbook whose folders were read late) may cover it.
    pub fn is_dialog(self) -> bool {
        matches!(
            self,
            OverlayKind::Runbook
                | OverlayKind::Palette
                | OverlayKind::Confirm
                | OverlayKind::SilenceForm
                | OverlayKind::Abort
                | OverlayKind::Prune
                | OverlayKind::Approval
                | OverlayKind::Reject
        )
    }
}

/// The open overlays, bottom first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overlays(Vec<Overlay>);

impl Overlays {
    /// Bottom to top: the order they are drawn in.
    pub fn iter(&self) -> impl Iterator<Item = &Overlay> {
        self.0.iter()
    }

    /// The overlay that gets the keys.
    pub fn top(&self) -> Option<&Overlay> {
        self.0.last()
    }

    pub fn is_open(&self, kind: OverlayKind) -> bool {
        self.0.iter().any(|o| o.kind() == kind)
    }

    /// Opens `overlay` on top; one already open of its kind is replaced (not opened twice).
    pub fn open(&mut self, overlay: Overlay) {
        self.close(overlay.kind());
        self.0.push(overlay);
    }

    /// Closes the overlay of `kind`, wherever it is.
    pub fn close(&mut self, kind: OverlayKind) {
        self.0.retain(|o| o.kind() != kind);
    }

    fn find(&self, kind: OverlayKind) -> Option<&Overlay> {
        self.0.iter().find(|o| o.kind() == kind)
    }

    fn find_mut(&mut self, kind: OverlayKind) -> Option<&mut Overlay> {
        self.0.iter_mut().find(|o| o.kind() == kind)
    }

    fn take(&mut self, kind: OverlayKind) -> Option<Overlay> {
        let at = self.0.iter().position(|o| o.kind() == kind)?;
        Some(self.0.remove(at))
    }
}

/// For an overlay with data: `name()` to read it, `name_mut()` to change it in place,
/// `take_name()` to close it and keep its data, `set_name(Some(..))` to open it on top and
/// `set_name(None)` to close it.
macro_rules! overlay_access {
    ($($name:ident, $name_mut:ident, $take:ident, $set:ident: $variant:ident($ty:ty);)*) => {
        impl UiState {
            $(
                pub fn $name(&self) -> Option<&$ty> {
                    match self.overlays.find(OverlayKind::$variant) {
                        Some(Overlay::$variant(v)) => Some(v),
                        _ => None,
                    }
                }
                pub fn $name_mut(&mut self) -> Option<&mut $ty> {
                    match self.overlays.find_mut(OverlayKind::$variant) {
                        Some(Overlay::$variant(v)) => Some(v),
                        _ => None,
                    }
                }
                pub fn $take(&mut self) -> Option<$ty> {
                    match self.overlays.take(OverlayKind::$variant) {
                        Some(Overlay::$variant(v)) => Some(v),
                        _ => None,
                    }
                }
                pub fn $set(&mut self, value: Option<$ty>) {
                    match value {
                        Some(v) => self.overlays.open(Overlay::$variant(v)),
                        None => self.overlays.close(OverlayKind::$variant),
                    }
                }
            )*
        }
    };
}

overlay_access! {
    health_chart, health_chart_mut, take_health_chart, set_health_chart: HealthChart(SlotId);
    container, container_mut, take_container, set_container: Container(ContainerView);
    runbook, runbook_mut, take_runbook, set_runbook: Runbook(RunbookUi);
    palette, palette_mut, take_palette, set_palette: Palette(PaletteState);
    confirm, confirm_mut, take_confirm, set_confirm: Confirm(Confirm);
    silence_form, silence_form_mut, take_silence_form, set_silence_form: SilenceForm(SilenceForm);
    abort, abort_mut, take_abort, set_abort: Abort(AbortConfirm);
    prune, prune_mut, take_prune, set_prune: Prune(PruneView);
    approval, approval_mut, take_approval, set_approval: Approval(ApprovalView);
    reject, reject_mut, take_reject, set_reject: Reject(RejectInput);
}

impl UiState {
    /// Whether an overlay of `kind` is open.
    pub fn is_open(&self, kind: OverlayKind) -> bool {
        self.overlays.is_open(kind)
    }

    /// Opens (or, when `open` is false, closes) a view or help, which carry no data here.
    pub fn show(&mut self, overlay: Overlay, open: bool) {
        if open {
            self.overlays.open(overlay);
        } else {
            self.overlays.close(overlay.kind());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_opened_is_on_top_and_reopening_moves_it_up() {
        let mut ui = UiState::default();
        ui.show(Overlay::Logs, true);
        ui.set_palette(Some(PaletteState::default()));
        ui.show(Overlay::Help, true);
        let kinds: Vec<OverlayKind> = ui.overlays.iter().map(Overlay::kind).collect();
        assert_eq!(kinds, [OverlayKind::Logs, OverlayKind::Palette, OverlayKind::Help]);
        ui.set_palette(Some(PaletteState::default()));
        assert_eq!(ui.overlays.top().map(Overlay::kind), Some(OverlayKind::Palette));
        assert_eq!(ui.overlays.iter().count(), 3, "one palette, not two");
        assert!(ui.take_palette().is_some() && ui.palette().is_none());
        ui.show(Overlay::Help, false);
        assert_eq!(ui.overlays.top().map(Overlay::kind), Some(OverlayKind::Logs));
    }

    #[test]
    fn questions_and_inputs_are_dialogs_and_views_are_not() {
        assert!(OverlayKind::Confirm.is_dialog() && OverlayKind::Reject.is_dialog());
        assert!(!OverlayKind::Logs.is_dialog() && !OverlayKind::Help.is_dialog());
    }
}
