//! The task layer: every file dialog, disk access, network request and long computation
//! the app needs is an [`Effect`] that an update returns; [`Tasks`] carries it out on a
//! worker thread or the network runtime and answers with a [`Message`], so no frame ever
//! waits.

mod dialogs;
pub mod export;
pub mod files;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use eframe::egui;

pub use dialogs::{FileDialogs, SystemDialogs};

use super::message::{Message, Purpose, TaskMessage};

/// A future the network runtime runs.
pub type NetFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Something an update wants done outside the frame.
pub enum Effect {
    /// Ask the user for files; answered by [`TaskMessage::Chosen`].
    Choose(Purpose),
    /// Run `work` on a worker thread named `name`; it reports back through the
    /// [`Reporter`] it is given.
    Work { name: &'static str, work: Box<dyn FnOnce(Reporter) + Send + 'static> },
    /// Run a request on the network runtime.
    Net(Box<dyn FnOnce(Reporter) -> NetFuture + Send + 'static>),
    /// Ask the window for a screenshot; answered by [`TaskMessage::Screenshot`].
    Screenshot(PathBuf),
    /// Switch the theme.
    Theme { light: bool },
    /// Apply another message after this one (a deferred edit across parts of the state).
    Then(Message),
}

impl Effect {
    /// Work on a named thread that answers with one message.
    pub fn work(name: &'static str, work: impl FnOnce() -> Message + Send + 'static) -> Self {
        Self::Work { name, work: Box::new(move |report: Reporter| report.send(work())) }
    }

    /// A request on the network runtime that answers with one message.
    pub fn net<F>(request: F) -> Self
    where
        F: Future<Output = Message> + Send + 'static,
    {
        Self::Net(Box::new(move |report: Reporter| Box::pin(async move { report.send(request.await) })))
    }
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Choose(p) => write!(f, "Choose({p:?})"),
            Self::Work { name, .. } => write!(f, "Work({name})"),
            Self::Net(_) => write!(f, "Net"),
            Self::Screenshot(p) => write!(f, "Screenshot({})", p.display()),
            Self::Theme { light } => write!(f, "Theme {{ light: {light} }}"),
            Self::Then(m) => write!(f, "Then({m:?})"),
        }
    }
}

/// What a sub-update asks for beyond its own part of the state.
#[derive(Debug, Default)]
pub struct Outcome {
    pub effects: Vec<Effect>,
    /// Shown in the window until dismissed.
    pub errors: Vec<String>,
    /// The status line.
    pub status: Option<String>,
}

/// How background work reports back: a message to the app, then a repaint.
#[derive(Clone)]
pub struct Reporter {
    tx: Sender<Message>,
    ctx: egui::Context,
}

impl Reporter {
    pub fn send(&self, message: impl Into<Message>) {
        let _ = self.tx.send(message.into());
        self.ctx.request_repaint();
    }

    /// Repaints soon, for progress shown from shared counters.
    pub fn repaint_after(&self, after: Duration) {
        self.ctx.request_repaint_after(after);
    }
}

/// The runtime every network request of the GUI runs on (two workers; started on first use).
fn runtime() -> Option<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("panelscope-net")
                .enable_all()
                .build()
                .ok()
        })
        .as_ref()
}

/// Carries out effects and collects what they answer.
pub struct Tasks {
    ctx: egui::Context,
    tx: Sender<Message>,
    rx: Receiver<Message>,
    dialogs: Arc<dyn FileDialogs>,
}

impl Tasks {
    pub fn new(ctx: egui::Context) -> Self {
        let (tx, rx) = channel();
        Self { ctx, tx, rx, dialogs: Arc::new(SystemDialogs) }
    }

    /// Where file dialogs come from (tests answer them without a desktop).
    pub fn set_dialogs(&mut self, dialogs: Arc<dyn FileDialogs>) {
        self.dialogs = dialogs;
    }

    pub fn reporter(&self) -> Reporter {
        Reporter { tx: self.tx.clone(), ctx: self.ctx.clone() }
    }

    pub fn ctx(&self) -> &egui::Context {
        &self.ctx
    }

    /// The messages that finished work has sent since the last call.
    pub fn finished(&self) -> Vec<Message> {
        self.rx.try_iter().collect()
    }

    /// Starts an effect; [`Effect::Then`] is the caller's to apply and is handed back.
    pub fn run(&self, effect: Effect) -> Option<Message> {
        match effect {
            Effect::Then(message) => return Some(message),
            Effect::Choose(purpose) => {
                let (dialogs, report) = (self.dialogs.clone(), self.reporter());
                self.spawn("file-dialog", move || {
                    let paths = dialogs.choose(&purpose);
                    report.send(TaskMessage::Chosen { purpose, paths });
                });
            }
            Effect::Work { name, work } => {
                let report = self.reporter();
                self.spawn(name, move || work(report));
            }
            Effect::Net(request) => match runtime() {
                Some(rt) => {
                    rt.spawn(request(self.reporter()));
                }
                None => self.reporter().send(TaskMessage::Failed("cannot start the network runtime".into())),
            },
            Effect::Screenshot(path) => {
                let report = self.reporter();
                self.ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(egui::ScreenshotCallback::new(
                    move |image| report.send(TaskMessage::Screenshot { path, image }),
                )));
            }
            Effect::Theme { light } => self.ctx.set_theme(if light { egui::Theme::Light } else { egui::Theme::Dark }),
        }
        None
    }

    /// Carries out `effect` on this thread and returns what it answered (dialogs are
    /// answered by the dialog provider; the network and the window are not reached).
    /// For tests and headless use.
    pub fn run_blocking(&self, effect: Effect) -> Vec<Message> {
        match effect {
            Effect::Then(message) => vec![message],
            Effect::Choose(purpose) => {
                let paths = self.dialogs.choose(&purpose);
                vec![TaskMessage::Chosen { purpose, paths }.into()]
            }
            Effect::Work { work, .. } => {
                let (tx, rx) = channel();
                work(Reporter { tx, ctx: self.ctx.clone() });
                rx.try_iter().collect()
            }
            other => {
                self.run(other);
                Vec::new()
            }
        }
    }

    fn spawn(&self, name: &str, work: impl FnOnce() + Send + 'static) {
        if let Err(e) = std::thread::Builder::new().name(name.into()).spawn(work) {
            self.reporter().send(TaskMessage::Failed(format!("cannot start {name}: {e}")));
        }
    }
}
