/**
 * The machine-readable report. Bodies are written as text, and secrets (X-SIGNATURE, accessToken)
 * are shortened to a recognisable prefix and their length.
 */
import type { RunReport } from './model.js';
import { redact } from '../engine/render.js';
import type { Exchange, HeaderBag } from '../types.js';

const SECRET_HEADERS = new Set(['x-signature', 'authorization']);
const MAX_BODY_CHARS = 8192;

function redactHeaders(headers: HeaderBag): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    out[name] = SECRET_HEADERS.has(name.toLowerCase()) ? redact(text) : text;
  }
  return out;
}

function bodyText(body: Buffer): string {
  let text = body.toString('utf8');
  text = text.replace(/("accessToken"\s*:\s*")([^"]*)"/g, (_m, head: string, token: string) => {
    return `${head}${redact(token)}"`;
  });
  return text.length > MAX_BODY_CHARS
    ? `${text.slice(0, MAX_BODY_CHARS)}…[${text.length} chars]`
    : text;
}

function exchangeJson(exchange: Exchange): unknown {
  return {
    request: {
      method: exchange.request.method,
      path: exchange.request.path,
      headers: redactHeaders(exchange.request.headers),
      body: bodyText(exchange.request.body),
    },
    ...(exchange.response
      ? {
          response: {
            status: exchange.response.status,
            headers: redactHeaders(exchange.response.headers),
            body: bodyText(exchange.response.body),
          },
        }
      : {}),
    ...(exchange.failure ? { failure: exchange.failure } : {}),
  };
}

/** The report as pretty JSON, secrets redacted. */
export function renderJson(report: RunReport, conforming: boolean): string {
  const document = {
    reportVersion: 1,
    ...report,
    conforming,
    redacted: true,
    cases: report.cases.map((c) => ({
      ...c,
      exchange: c.exchange ? exchangeJson(c.exchange) : undefined,
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
