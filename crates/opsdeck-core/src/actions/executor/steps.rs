//! Running one step of a plan, and what each step leans on: the journal line before and after
//! it, the lock's heartbeat, and the silence an action may set first.

use super::*;

impl Executor {
    pub(super) fn journal(
        &self,
        id: ActionId,
        index: usize,
        label: &str,
        phase: StepPhase,
        note: &str,
    ) -> Result<(), String> {
        self.with_store(|s| s.journal_step(id, index as u32, label, phase, note))?;
        self.emit(ActionEvent::Step { id: id.0, index, label: label.into(), phase, note: note.into(), at: Utc::now() });
        Ok(())
    }

    pub(super) fn keep_alive(&self, lock: crate::store::LockId) -> crate::store::HeartbeatKeeper {
        crate::store::HeartbeatKeeper::start(self.store.clone(), vec![lock], HEARTBEAT_EVERY)
    }

    pub(super) async fn run_step(
        &self,
        id: ActionId,
        plan: &ActionPlan,
        step: &Step,
        progress: &mut Progress,
        cancel: &CancellationToken,
        hand: &Hand,
    ) -> Result<String, String> {
        let ops = &*self.ops;
        let abort = &hand.abort;
        let t = plan.timing;
        match step {
            Step::Prepare { host } => {
                let spec = plan.new_slot(host).ok_or("no slot for this host")?;
                progress.prepared.push(host.clone());
                if plan.reuse_idle {
                    return Ok("idle slot already holds it: no pull, no create".into());
                }
                let mut note = String::new();
                if !bounded(t.step_timeout, "checking the image", ops.has_image(host, &spec.image)).await? {
                    bounded(t.step_timeout, "pull", ops.pull(host, &spec.image)).await?;
                    note.push_str("pulled; ");
                }
                bounded(t.step_timeout, "create", ops.recreate(spec)).await?;
                note.push_str("created");
                Ok(note)
            }
            Step::Start { host } => {
                let spec = plan.new_slot(host).ok_or("no slot for this host")?;
                bounded(t.step_timeout, "start", ops.start(host, &spec.container_name())).await?;
                Ok(String::new())
            }
            Step::WaitHealthy { host } => {
                let spec = plan.new_slot(host).ok_or("no slot for this host")?;
                wait_healthy(ops, spec, t.health_wait, Some(cancel)).await
            }
            Step::CanaryStage { percent } => {
                let tick = |look: super::canary::Look| {
                    self.emit(ActionEvent::Stage {
                        id: id.0,
                        percent: *percent,
                        ladder: plan.canary_ladder(),
                        requests: look.requests,
                        errors: look.errors,
                        held_ms: look.held.as_millis() as u64,
                        hold_ms: t.canary_hold.as_millis() as u64,
                        paused: look.paused,
                        at: Utc::now(),
                    })
                };
                super::canary::stage(ops, plan, *percent, progress, hand, tick).await
            }
            Step::Switch => {
                progress.switched = true;
                switch(ops, plan, &plan.to_slot, &plan.from_slot, t).await
            }
            Step::Drain => {
                let mut last = None;
                let report = |sessions: u64, elapsed: Duration| {
                    if last != Some(sessions) {
                        last = Some(sessions);
                        self.emit(ActionEvent::Drain {
                            id: id.0,
                            server: plan.from_slot.clone(),
                            sessions,
                            elapsed_ms: elapsed.as_millis() as u64,
                            at: Utc::now(),
                        });
                    }
                };
                drain_watched(ops, plan, &plan.from_slot, t.drain_wait, Some(abort), report).await
            }
            Step::Retire => {
                bounded(
                    t.step_timeout,
                    "maint",
                    ops.set_slot(&plan.env, &plan.backend, &plan.from_slot, AdminState::Maint),
                )
                .await?;
                Ok(String::new())
            }
            Step::StopOld { host } => {
                let old = plan.old_slot(host).ok_or("no slot for this host")?;
                bounded(t.stop_grace + t.step_timeout, "stop", ops.stop(host, &old.container_name(), t.stop_grace))
                    .await?;
                progress.stopped_old.push(host.clone());
                Ok("kept for rollback".into())
            }
            Step::KeepWarm => {
                let until = Utc::now() + chrono::Duration::from_std(t.keep_warm).unwrap_or_default();
                Ok(format!(
                    "{} stays running out of traffic until {}: a rollback until then is a switch",
                    plan.from_slot,
                    until.format("%H:%M UTC")
                ))
            }
            Step::Watch => watch(ops, plan, cancel).await,
            Step::Silence | Step::Unsilence => Ok(String::new()),
        }
    }

    /// Silences the service's alerts in the environment for as long as the action can take at
    /// most (it is expired as soon as the action ends); returns the silence's id and a note.
    pub(super) async fn silence(&self, id: ActionId, plan: &ActionPlan) -> Result<(String, String), String> {
        let now = Utc::now();
        let ends = now + chrono::Duration::from_std(plan.longest()).unwrap_or(chrono::Duration::hours(1));
        let matcher = |name: &str, value: &str| opsdeck_backends::types::Matcher {
            name: name.into(),
            value: value.into(),
            is_regex: false,
            is_equal: true,
        };
        let silence = opsdeck_backends::alertmanager::NewSilence {
            matchers: vec![matcher("service", &plan.service), matcher("env", &plan.env)],
            starts_at: now,
            ends_at: ends,
            created_by: self.holder.user.clone(),
            comment: format!("opsdeck action #{}: {} (expired when it ends)", id.0, plan.summary()),
        };
        let sid = bounded(plan.timing.step_timeout, "create silence", self.ops.create_silence(&silence)).await?;
        let note = format!("silence {sid} until {} at the latest", ends.format("%H:%M:%S UTC"));
        Ok((sid, note))
    }
}
