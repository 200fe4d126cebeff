//! The runbooks shipped in `runbooks/`, built into the binary so `opsdeck demo up` can put them
//! beside the demo's config wherever opsdeck runs.

use std::path::Path;

/// File name and text of each shipped runbook.
pub const SHIPPED: &[(&str, &str)] = &[
    ("high-error-rate-after-deploy.md", include_str!("../../../../runbooks/high-error-rate-after-deploy.md")),
    ("deploy-health-gate-failed.md", include_str!("../../../../runbooks/deploy-health-gate-failed.md")),
    ("database-cpu-high.md", include_str!("../../../../runbooks/database-cpu-high.md")),
    ("redis-memory-full.md", include_str!("../../../../runbooks/redis-memory-full.md")),
    ("certificate-expiring.md", include_str!("../../../../runbooks/certificate-expiring.md")),
];

/// Writes them into `dir` (created if needed), replacing files of the same names.
pub fn write_to(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in SHIPPED {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_file_in_the_folder_is_shipped() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runbooks");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".md"))
            .collect();
        on_disk.sort();
        let mut shipped: Vec<String> = super::SHIPPED.iter().map(|(n, _)| n.to_string()).collect();
        shipped.sort();
        assert_eq!(on_disk, shipped);
    }
}
