//! Carrying out a console prune as a chore of the action runner (so quitting waits for it): the
//! service's locks, the state read again, the confirmed images deleted and audited; the answer
//! goes to the prune overlay and the Images pane is read again at once.

use super::actions::ActionRunner;
use crate::msg::Msg;

impl ActionRunner {
    /// Prunes `digests` of `service` in the background, as `user`.
    pub fn prune(&mut self, service: String, digests: Vec<String>, user: String) {
        let (tx, config) = (self.tx.clone(), self.config.clone());
        self.chores.spawn(async move {
            let result =
                opsdeck_core::actions::prune::prune_confirmed(config.clone(), user, service.clone(), digests).await;
            let _ = tx.send(Msg::Pruned(service, result));
            for msg in opsdeck_core::watch::fetch_images(&config).await {
                let _ = tx.send(Msg::Fact(msg));
            }
        });
    }
}
