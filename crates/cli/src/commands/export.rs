use std::io::Write;

use anyhow::{bail, Context};
use ingest::{export_records, ExportFormat, ExportOptions};
use store::Store;

use crate::args::ExportArgs;

pub async fn run(store: &Store, args: &ExportArgs) -> anyhow::Result<u8> {
    let format: ExportFormat = args.format.parse().map_err(anyhow::Error::msg)?;
    if format == ExportFormat::Xlsx && args.output.is_none() {
        bail!("xlsx export needs --output FILE.xlsx");
    }
    let mut records = vec![];
    // Every record; the exporter redacts what the options keep private.
    let all = super::issuer(store)?.demands_everything();
    let mut pages = store.pages_with(args.kind, 2000, &all);
    while let Some(page) = pages.next().await? {
        records.extend(page.into_iter().map(|s| s.record));
    }
    let opts = ExportOptions {
        include_confidential: args.include_confidential,
        include_private: args.include_private,
    };
    let summary = match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            export_records(
                args.kind,
                &records,
                format,
                opts,
                std::io::BufWriter::new(file),
            )?
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            let s = export_records(args.kind, &records, format, opts, &mut lock)?;
            lock.flush()?;
            s
        }
    };
    eprintln!("exported {} {}", summary.written, args.kind.plural());
    if summary.withheld_confidential > 0 {
        eprintln!(
            "withheld {} confidential demands (registered/nda); pass --include-confidential to export them",
            summary.withheld_confidential
        );
    }
    if summary.contacts_redacted > 0 {
        eprintln!(
            "left out the private contact details of {} people; pass --include-private to export them",
            summary.contacts_redacted
        );
    }
    Ok(0)
}
