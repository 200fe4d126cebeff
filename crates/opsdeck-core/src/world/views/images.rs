//! The Images and Alerts panes' rows: the registry's history with where each image is live or
//! idle and whether it is kept, and the alerts in the order they are shown.

use super::*;

impl World {
    /// The image history of `service`, newest first, with where each image is deployed.
    pub fn image_rows(&self, service: &str) -> Vec<ImageRow> {
        let Some(svc) = self.config.service(service) else { return Vec::new() };
        let Some(images) = self.registry.images.get(service) else { return Vec::new() };
        let cells: Vec<ServiceCell> =
            self.config.environments.iter().filter_map(|e| self.service_cell(&e.name, service)).collect();
        images
            .iter()
            .enumerate()
            .map(|(i, im)| {
                let deployed_in: Vec<String> = cells
                    .iter()
                    .filter(|c| c.image.as_ref().is_some_and(|r| r.digest == im.digest))
                    .map(|c| c.env.clone())
                    .collect();
                let idle_in: Vec<String> = cells
                    .iter()
                    .filter(|c| c.idle_image.as_ref().is_some_and(|r| r.digest == im.digest))
                    .map(|c| c.env.clone())
                    .collect();
                ImageRow {
                    digest: im.digest.clone(),
                    tags: im.tags.clone(),
                    created: im.created,
                    platforms: im.platforms.clone(),
                    kept: i < svc.keep_images || !deployed_in.is_empty() || !idle_in.is_empty(),
                    deployed_in,
                    idle_in,
                }
            })
            .collect()
    }

    /// Alerts as the Alerts pane lists them: active before silenced, critical first, oldest first.
    pub fn alert_rows(&self) -> Vec<&opsdeck_backends::types::Alert> {
        let mut rows: Vec<_> = self.alerts.alerts.iter().collect();
        let severity = |a: &opsdeck_backends::types::Alert| match a.labels.get("severity").map(String::as_str) {
            Some("critical") => 0,
            Some("warning") => 1,
            _ => 2,
        };
        rows.sort_by(|a, b| {
            (a.state != "active", severity(a), a.starts_at, &a.name).cmp(&(
                b.state != "active",
                severity(b),
                b.starts_at,
                &b.name,
            ))
        });
        rows
    }
}
