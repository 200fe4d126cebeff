//! What the phases drive: the executor as the console and the CLI drive it ([`Ctx`]), one action
//! as run ([`Run`]), and the Docker engine and registry of the demo.

use opsdeck_backends::docker::{connect, DockerEndpoint};
use opsdeck_core::actions::{plan, ActionEvent, ActionKind, ActionPlan, ActionReport, Executor, Step, Target, Timing};
use opsdeck_core::config::Config;
use opsdeck_core::outside::Outside;
use opsdeck_core::store::{ActionOutcome, Holder, StepPhase, Store};
use opsdeck_core::watch::gather;
use opsdeck_core::world::World;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::traffic::http_get;

pub const HOST: &str = "prod-1";
const DOCKER_SOCKET: &str = "unix:///var/run/docker.sock";
pub const CALL: Duration = Duration::from_secs(30);

pub fn timing() -> Timing {
    Timing {
        health_wait: Duration::from_secs(30),
        drain_wait: Duration::from_secs(10),
        stop_grace: Duration::from_secs(5),
        watch: Duration::from_secs(3),
        step_timeout: Duration::from_secs(60),
        ..Timing::default()
    }
}

/// What the test drives the executor with.
pub struct Ctx {
    pub config: Arc<Config>,
    pub ops: Arc<Outside>,
    pub store: Arc<Mutex<Store>>,
    pub holder: Holder,
}

/// One action as run: its report, every event, and when `run` was called.
pub struct Run {
    pub plan: ActionPlan,
    pub report: ActionReport,
    pub events: Vec<ActionEvent>,
    called: chrono::DateTime<chrono::Utc>,
    /// The long request started as the switch began, when one was asked for.
    pub slow: Option<tokio::task::JoinHandle<Result<(u16, String), String>>>,
}

impl Run {
    /// From calling `run` to the Switch step's Finished event.
    pub fn switch_time(&self) -> Option<Duration> {
        let index = self.plan.steps.iter().position(|s| *s == Step::Switch)?;
        self.events.iter().find_map(|e| match e {
            ActionEvent::Step { index: i, phase: StepPhase::Finished, at, .. } if *i == index => {
                (*at - self.called).to_std().ok()
            }
            _ => None,
        })
    }

    pub fn notes(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ActionEvent::Step { label, phase, note, .. } => Some(format!("{label} {phase:?}: {note}")),
                _ => None,
            })
            .collect()
    }

    /// Each step's label and how long it took (Started to Finished or Failed), in ms.
    pub fn timeline(&self) -> String {
        let mut started = BTreeMap::new();
        let mut out = Vec::new();
        for event in &self.events {
            if let ActionEvent::Step { index, label, phase, note, at, .. } = event {
                match phase {
                    StepPhase::Started => {
                        started.insert(*index, *at);
                    }
                    _ => {
                        let ms = started.get(index).map(|s| (*at - *s).num_milliseconds()).unwrap_or(-1);
                        out.push(format!("{label} {ms}ms ({note})"));
                    }
                }
            }
        }
        out.join("; ")
    }

    pub fn outcome(&self) -> Option<ActionOutcome> {
        self.report.outcome
    }
}

impl Ctx {
    pub fn new(config: Arc<Config>, user: &str) -> Ctx {
        let ops = Arc::new(Outside::new(config.clone()).expect("Outside"));
        let store = Arc::new(Mutex::new(Store::open(&config.state_path).expect("store")));
        let holder = Holder::this_process(user);
        Ctx { config, ops, store, holder }
    }

    pub async fn world(&self) -> World {
        gather(self.config.clone(), self.holder.user.clone()).await
    }

    pub async fn plan(
        &self,
        kind: ActionKind,
        service: &str,
        env: &str,
        image: Option<&str>,
        timing: Timing,
    ) -> (World, ActionPlan) {
        let world = self.world().await;
        let target =
            Target { kind, service: service.into(), env: env.into(), image: image.map(str::to_string), force: false };
        let plan = plan(&world, &target, timing).unwrap_or_else(|e| panic!("plan {service}/{env}: {e}"));
        (world, plan)
    }

    fn executor(&self, tx: tokio::sync::mpsc::UnboundedSender<ActionEvent>) -> Executor {
        Executor { ops: self.ops.clone(), store: self.store.clone(), events: tx, holder: self.holder.clone() }
    }

    /// Runs `plan` to its end; with `slow_at_switch`, a `GET /slow?ms=3000` goes to that address
    /// the moment the Switch step starts.
    pub async fn run(&self, plan: ActionPlan, slow_at_switch: Option<SocketAddr>) -> Run {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let switch = plan.steps.iter().position(|s| *s == Step::Switch);
        let collector = tokio::spawn(async move {
            let mut events = Vec::new();
            let mut slow = None;
            while let Some(event) = rx.recv().await {
                if let (Some(addr), ActionEvent::Step { index, phase: StepPhase::Started, .. }) =
                    (slow_at_switch, &event)
                {
                    if Some(*index) == switch && slow.is_none() {
                        slow = Some(tokio::spawn(http_get(addr, "/slow?ms=3000", Duration::from_secs(20))));
                    }
                }
                events.push(event);
            }
            (events, slow)
        });
        let executor = self.executor(tx);
        let called = chrono::Utc::now();
        let report = executor.run(plan.clone(), CancellationToken::new()).await;
        drop(executor);
        let (events, slow) = collector.await.expect("event collector");
        let run = Run { plan, report, events, called, slow };
        eprintln!("{} -> {:?} {}", run.plan.summary(), run.report.outcome, run.report.reason);
        run
    }
}

pub async fn engine() -> opsdeck_backends::docker::Client {
    let endpoint = DockerEndpoint { url: DOCKER_SOCKET.into(), tls: None, timeout: CALL };
    connect(&endpoint).await.expect("docker")
}

pub fn registry_host(config: &Config) -> String {
    config.registry.url.trim_start_matches("http://").trim_end_matches('/').to_string()
}
