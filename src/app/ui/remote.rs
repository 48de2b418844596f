//! The Server window: connect (URL and token), browse the captures and panels a
//! `panelscope serve` holds, open or download a capture, open a panel, and follow
//! downloads.

use eframe::egui;

use super::super::message::{Message, Purpose, RemoteMessage};
use super::super::remote::{Connection, RemoteState};
use crate::format::human_bytes;

/// The Server window, when it is open.
pub(super) fn server_window(remote: &RemoteState, ctx: &egui::Context, messages: &mut Vec<Message>) {
    if !remote.window_open {
        return;
    }
    let mut open = true;
    egui::Window::new("Server")
        .open(&mut open)
        .default_width(620.0)
        .default_height(460.0)
        .resizable(true)
        .show(ctx, |ui| server_ui(remote, ui, messages));
    if !open {
        messages.push(Message::Remote(RemoteMessage::ShowWindow(false)));
    }
}

fn server_ui(r: &RemoteState, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
    let send = |messages: &mut Vec<Message>, m: RemoteMessage| messages.push(Message::Remote(m));
    egui::Grid::new("server-connect").num_columns(2).show(ui, |ui| {
        let label = ui.label("URL");
        let mut url = r.url.clone();
        let edit = ui.add(egui::TextEdit::singleline(&mut url).hint_text("http://127.0.0.1:7878").desired_width(320.0));
        let edit = edit.labelled_by(label.id);
        if edit.changed() {
            send(messages, RemoteMessage::SetUrl(url));
        }
        let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.end_row();
        let label = ui.label("Token");
        let mut token = r.token.clone();
        let edit = ui
            .add(
                egui::TextEdit::singleline(&mut token)
                    .password(true)
                    .hint_text("if the server asks for one")
                    .desired_width(320.0),
            )
            .labelled_by(label.id);
        if edit.changed() {
            send(messages, RemoteMessage::SetToken(token));
        }
        let enter = enter || (edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)));
        ui.end_row();
        ui.label("");
        ui.horizontal(|ui| {
            let mut remember = r.remember_token;
            let hint = "Keep the token in a file only you can read (never in the settings)";
            if ui.checkbox(&mut remember, "Remember token").on_hover_text(hint).changed() {
                send(messages, RemoteMessage::SetRememberToken(remember));
            }
            let connecting = r.connection == Connection::Connecting;
            if ui.add_enabled(!connecting && !r.url.trim().is_empty(), egui::Button::new("Connect")).clicked()
                || (enter && !connecting)
            {
                send(messages, RemoteMessage::Connect);
            }
            if r.client.is_some() && ui.button("Refresh").clicked() {
                send(messages, RemoteMessage::Refresh);
            }
            if r.client.is_some() && ui.button("Disconnect").clicked() {
                send(messages, RemoteMessage::Disconnect);
            }
        });
        ui.end_row();
    });
    let color = super::super::remote::connection_color(&r.connection, ui.visuals());
    match &r.connection {
        Connection::Disconnected => ui.weak("Not connected. Start a server with: panelscope serve DIR"),
        Connection::Connecting => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("connecting…");
            })
            .response
        }
        Connection::Connected(h) => ui.colored_label(
            color,
            format!(
                "connected: panelscope {} · {} · {}{}",
                h.version,
                count(r.captures.len(), "capture"),
                count(r.panels.len(), "panel"),
                if h.auth { " · token accepted" } else { " · read-only (no tokens)" }
            ),
        ),
        Connection::Failed(e) => ui.colored_label(color, e),
    };
    for d in &r.downloads {
        ui.horizontal(|ui| {
            let done = d.done.load(std::sync::atomic::Ordering::Relaxed);
            let secs = d.started.elapsed().as_secs_f64().max(1e-3);
            ui.add(egui::ProgressBar::new(d.fraction()).desired_width(360.0).text(format!(
                "{}: {} of {} ({}/s)",
                d.name,
                human_bytes(done),
                human_bytes(d.total),
                human_bytes((done as f64 / secs) as u64)
            )));
            if ui.button("Cancel").clicked() {
                send(messages, RemoteMessage::CancelDownload(d.id));
            }
        });
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(200));
    }
    if r.client.is_none() {
        return;
    }
    ui.separator();
    ui.strong("Captures");
    egui::ScrollArea::vertical().id_salt("server-captures").max_height(260.0).show(ui, |ui| {
        if r.captures.is_empty() {
            ui.weak("none");
        }
        egui::Grid::new("server-captures-grid").striped(true).num_columns(4).show(ui, |ui| {
            for c in &r.captures {
                ui.label(&c.name).on_hover_text(format!("id {}", c.id));
                let rate = c.sample_rate_hz.map_or("irregular".into(), |r| format!("{r} Hz"));
                ui.weak(format!(
                    "{} · {} ch · {rate} · {:.3} s · {}",
                    c.format,
                    c.channels,
                    c.duration_s,
                    human_bytes(c.bytes)
                ));
                if ui
                    .button("Open")
                    .on_hover_text("Show it from the server: an overview, then detail as you zoom")
                    .clicked()
                {
                    send(messages, RemoteMessage::Open(c.id.clone()));
                }
                if ui.button("Download…").on_hover_text("Save a copy for offline use, then open it").clicked() {
                    let file_name = std::path::Path::new(&c.name)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    messages.push(Message::Choose(Purpose::Download { capture_id: c.id.clone(), file_name }));
                }
                ui.end_row();
            }
        });
    });
    ui.separator();
    ui.strong("Panels");
    egui::Grid::new("server-panels-grid").striped(true).num_columns(3).show(ui, |ui| {
        for p in &r.panels {
            ui.label(&p.name).on_hover_text(format!("{} (id {})", p.file, p.id));
            ui.weak(if p.has_install_config { "install configuration stored" } else { "no install configuration" });
            if ui.button("Edit").on_hover_text("Open it in the panel editor; uploads go back to it").clicked() {
                send(messages, RemoteMessage::OpenPanel(p.id.clone()));
            }
            ui.end_row();
        }
    });
    if r.panels.is_empty() {
        ui.weak("none");
    }
}

/// `1 panel`, `3 captures`.
fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}
