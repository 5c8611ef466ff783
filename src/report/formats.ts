/**
 * The report file formats and the `FORMAT:PATH` notation that asks for one. Every format
 * renders the same report view (view.ts), so they agree on verdicts and on what is redacted.
 */
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { ReportView } from './view.js';

export type ReportFormat = 'json' | 'junit' | 'markdown' | 'html';

export const reportFormats: Record<ReportFormat, (view: ReportView) => string> = {
  json: renderJson,
  junit: renderJunit,
  markdown: renderMarkdown,
  html: renderHtml,
};

/** Other names people reach for; each maps to one format. */
const ALIASES: Record<string, ReportFormat> = { md: 'markdown', xml: 'junit' };

export interface ReportTarget {
  format: ReportFormat;
  path: string;
}

/** A format name as typed, or undefined when snapcheck has no such format. */
export function formatNamed(name: string): ReportFormat | undefined {
  const lower = name.toLowerCase();
  if (lower in reportFormats) return lower as ReportFormat;
  return ALIASES[lower];
}

/**
 * Parses `junit:reports/snapcheck.xml`. The format ends at the first colon, so a Windows path
 * (`html:C:\\reports\\audit.html`) keeps its own.
 */
export function parseReportTarget(text: string): ReportTarget {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon) : text;
  const path = colon > 0 ? text.slice(colon + 1) : '';
  const format = formatNamed(name);
  const known = Object.keys(reportFormats).join(', ');
  if (!format) {
    throw new Error(`unknown report format "${name}" in "${text}": use one of ${known}`);
  }
  if (path === '') throw new Error(`no file in "${text}": write it as ${format}:PATH`);
  return { format, path };
}

export function renderReport(format: ReportFormat, view: ReportView): string {
  return reportFormats[format](view);
}
