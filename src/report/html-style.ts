/**
 * The HTML report's stylesheet, inlined into every report. System fonts only (a web font would
 * be a fetch), colours that survive printing, and page breaks kept out of findings and rows.
 */
export const HTML_STYLE = `
:root {
  --ink: #1d2430; --muted: #5b6472; --line: #d7dce3; --paper: #ffffff; --wash: #f5f7fa;
  --pass: #1d7a3e; --pass-wash: #e7f5ec; --fail: #b3261e; --fail-wash: #fdecea;
  --warn: #8a5a00; --warn-wash: #fff4dc; --info: #2f5d9c; --info-wash: #eaf1fb;
  --skip: #6b7280; --skip-wash: #f1f2f4;
}
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body {
  margin: 0; color: var(--ink); background: var(--paper);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
}
main, footer { max-width: 1100px; margin: 0 auto; padding: 0 24px; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
code { font-size: 12.5px; overflow-wrap: anywhere; }
a { color: var(--info); }
h2 { margin: 32px 0 12px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { margin: 0 0 6px; font-size: 16px; }
.banner { padding: 24px; color: #fff; }
.banner > * { max-width: 1052px; margin-left: auto; margin-right: auto; }
.banner h1 { margin: 2px auto 6px; font-size: 30px; letter-spacing: 0.02em; }
.banner p { margin-top: 0; margin-bottom: 0; }
.banner code { color: #fff; }
.banner .kicker {
  text-transform: uppercase; font-size: 12px; letter-spacing: 0.12em; opacity: 0.9;
}
.banner.conforming { background: var(--pass); }
.banner.not-conforming { background: var(--fail); }
.banner.unreachable { background: var(--warn); }
.facts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 6px 24px; }
.facts div { display: flex; gap: 10px; border-bottom: 1px solid var(--wash); padding: 3px 0; }
.facts dt { flex: 0 0 110px; color: var(--muted); }
.facts dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 10px 0; }
th, td {
  text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line);
}
thead th { background: var(--wash); font-weight: 600; }
tr { break-inside: avoid; }
.counts { width: auto; }
.counts td, .counts th { text-align: right; min-width: 72px; }
.index td:nth-child(n+4):nth-child(-n+6) { text-align: right; }
.index td:nth-child(3) { white-space: nowrap; }
.badge, .sev, .status {
  display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 11.5px; font-weight: 700;
  letter-spacing: 0.04em; white-space: nowrap;
}
.badge.pass, .status.passed { background: var(--pass-wash); color: var(--pass); }
.badge.fail, .status.failed, .sev.error { background: var(--fail-wash); color: var(--fail); }
.badge.skipped, .badge.inconclusive, .status.not-exercised, .status.off {
  background: var(--skip-wash); color: var(--skip);
}
.sev.warning { background: var(--warn-wash); color: var(--warn); }
.sev.info { background: var(--info-wash); color: var(--info); }
.shortfalls li { color: var(--fail); font-weight: 600; }
.notices li { font-weight: 600; }
.case { border: 1px solid var(--line); border-left: 5px solid var(--pass); border-radius: 4px;
  padding: 12px 16px; margin: 14px 0; }
.case.fail { border-left-color: var(--fail); }
.case.skipped, .case.inconclusive { border-left-color: var(--skip); }
.case .title { font-weight: 400; color: var(--muted); }
.because, .accepts, .clean { margin: 4px 0; color: var(--muted); }
.exchange {
  display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; margin: 10px 0;
}
figure { margin: 0; min-width: 0; }
figcaption { font-size: 12px; color: var(--muted); margin-bottom: 3px; }
pre {
  margin: 0; padding: 8px 10px; background: var(--wash); border: 1px solid var(--line);
  border-radius: 3px; font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere;
}
.finding {
  border-top: 1px dashed var(--line); padding-top: 8px; margin-top: 8px; break-inside: avoid;
}
.finding-head, .message { margin: 2px 0; }
.message { font-weight: 600; }
.evidence { margin: 4px 0; }
.evidence th {
  width: 90px; color: var(--muted); font-weight: 400; border: 0; padding: 2px 8px 2px 0;
}
.evidence td { border: 0; padding: 2px 0; }
.coverage .rule-id { white-space: nowrap; font-weight: 600; }
.coverage td:nth-child(2), .coverage td:nth-child(5) { white-space: nowrap; }
.coverage td:nth-child(5) { text-align: right; }
.coverage tr.failed td:first-child { border-left: 4px solid var(--fail); }
.coverage tr.failed.worst-warning td:first-child { border-left-color: var(--warn); }
.coverage tr.failed.worst-info td:first-child { border-left-color: var(--info); }
.status.failed.worst-warning { background: var(--warn-wash); color: var(--warn); }
.status.failed.worst-info { background: var(--info-wash); color: var(--info); }
.coverage tr.passed td:first-child { border-left: 4px solid var(--pass); }
.coverage tr.not-exercised td:first-child, .coverage tr.off td:first-child {
  border-left: 4px solid var(--line);
}
.sources div { margin: 6px 0; }
.sources dt { display: inline; }
.sources dd { display: inline; margin: 0 0 0 8px; }
.note { color: var(--muted); font-size: 12.5px; }
footer { margin: 40px auto 24px; color: var(--muted); font-size: 12px; }
@media (max-width: 760px) {
  .facts, .exchange { grid-template-columns: minmax(0, 1fr); }
}
@media print {
  body { font-size: 11px; }
  main, footer { max-width: none; padding: 0; }
  .banner { padding: 12px 16px; }
  h2 { break-after: avoid; }
  #cases, #coverage { break-before: page; }
  .case { break-inside: auto; }
  .case h3, .case .because { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  pre { font-size: 9.5px; }
  code { font-size: 10px; }
}
`;
