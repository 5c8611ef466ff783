/**
 * The machine-readable report: the report view as JSON, described by spec/report.schema.json
 * (its `reportVersion` says which version of the schema). Secrets are already redacted in the
 * view; this module only serialises.
 */
import type { ReportView } from './view.js';

/** Where the schema ships, relative to the package root. */
export const REPORT_SCHEMA_FILE = 'spec/report.schema.json';

export function renderJson(view: ReportView): string {
  return `${JSON.stringify(view, null, 2)}\n`;
}
