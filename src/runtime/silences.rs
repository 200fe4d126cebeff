//! Carrying out the silence and abort commands: creating and expiring silences through the
//! action layer (bounded, audited) as short chores, reporting in the status bar and refreshing
//! the silences list at once; and the operator's hand on a running action (its abort token, a
//! canary's pause and next stage).

use super::actions::ActionRunner;
use crate::msg::Msg;
use opsdeck_backends::alertmanager::NewSilence;
use opsdeck_core::world::silences::matcher_text;
use opsdeck_core::world::World;

impl ActionRunner {
    /// Creates `silence` in the background; the status bar gets its id, or why not.
    pub fn create_silence(&mut self, silence: NewSilence) {
        let exec = match &self.exec {
            Ok(e) => e.clone(),
            Err(e) => {
                let _ = self.tx.send(Msg::Notice(format!("not silenced: actions disabled: {e}")));
                return;
            }
        };
        let (tx, config) = (self.tx.clone(), self.config.clone());
        self.chores.spawn(async move {
            let what = silence.matchers.iter().map(matcher_text).collect::<Vec<_>>().join(", ");
            let line = match opsdeck_core::actions::silences::create(&exec, &silence).await {
                Ok(id) => format!("silenced {what} until {} (silence {id})", silence.ends_at.format("%H:%M UTC")),
                Err(e) => format!("not silenced ({what}): {e}"),
            };
            let _ = tx.send(Msg::Notice(line));
            if let Some(msg) = opsdeck_core::watch::fetch_silences(&config).await {
                let _ = tx.send(Msg::Fact(msg));
            }
        });
    }

    /// Expires the silence `id` in the background.
    pub fn expire_silence(&mut self, id: String, world: &World) {
        let exec = match &self.exec {
            Ok(e) => e.clone(),
            Err(e) => {
                let _ = self.tx.send(Msg::Notice(format!("not expired: actions disabled: {e}")));
                return;
            }
        };
        let what = world
            .silences
            .silences
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.matchers.iter().map(matcher_text).collect::<Vec<_>>().join(","))
            .unwrap_or_else(|| id.clone());
        let (tx, config) = (self.tx.clone(), self.config.clone());
        self.chores.spawn(async move {
            let line = match opsdeck_core::actions::silences::expire(&exec, &id, &what).await {
                Ok(()) => format!("silence {id} expired ({what})"),
                Err(e) => format!("silence {id} not expired: {e}"),
            };
            let _ = tx.send(Msg::Notice(line));
            if let Some(msg) = opsdeck_core::watch::fetch_silences(&config).await {
                let _ = tx.send(Msg::Fact(msg));
            }
        });
    }

    /// Fires the abort of our running action on `service` in `env` (`C`, confirmed).
    pub fn abort(&mut self, id: i64, service: String, env: String) {
        let line = match self.hands.get(&(service.clone(), env.clone())) {
            Some(hand) => {
                hand.abort.cancel();
                format!("action #{id}: abort asked; switching back where traffic moved")
            }
            None => format!("action #{id} ({service}/{env}): not run by this console: nothing to abort here"),
        };
        let _ = self.tx.send(Msg::Notice(line));
    }

    /// Pauses, resumes or passes the stage of our running canary on `service` in `env`.
    pub fn steer(&mut self, id: i64, service: String, env: String, steer: crate::msg::Steer) {
        let Some(hand) = self.hands.get(&(service.clone(), env.clone())) else {
            let line = format!("action #{id} ({service}/{env}): not run by this console");
            let _ = self.tx.send(Msg::Notice(line));
            return;
        };
        match steer {
            crate::msg::Steer::Pause => hand.set_paused(true),
            crate::msg::Steer::Resume => hand.set_paused(false),
            crate::msg::Steer::Next => hand.next_stage(),
        }
    }
}
