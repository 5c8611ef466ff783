/**
 * snapcheck as a library: the check engine, the reference provider, the provider battery, the
 * reference token client, pact verification and linting, and the signature helpers, with the
 * message types generated from openapi.yaml.
 */
export { runBattery } from './battery/run.js';
export type { BatteryOptions, BatteryReport, CaseResult, Summary, Verdict } from './battery/run.js';
export { batteryCases } from './battery/cases.js';
export type { AcceptedAnswer, BatteryCase } from './battery/cases.js';
export {
  NonConformingAnswerError,
  SnapTokenError,
  TokenClientError,
  TokenTransportError,
} from './client/errors.js';
export { createTokenClient, readTokenAnswer, TokenClient } from './client/token-client.js';
export type { AccessToken, TokenClientOptions } from './client/token-client.js';
export { judgeRequest } from './engine/request.js';
export type { ClientDirectory, RequestContext, RequestJudgement } from './engine/request.js';
export { judgeResponse } from './engine/response.js';
export type { ResponseContext, ResponseJudgement } from './engine/response.js';
export { ExitCode, KeyError, SnapcheckError } from './errors.js';
export { send } from './http/send.js';
export { lintPacts } from './pact/lint.js';
export { verifyPacts } from './pact/verify.js';
export type { BrokerSource, StateHooks, VerifyOptions } from './pact/verify.js';
export { providerHandler, startProvider } from './provider/server.js';
export type { ProviderOptions, RegisteredClient, RunningProvider } from './provider/server.js';
export { renderConsole } from './report/console.js';
export { ruleCoverage } from './report/coverage.js';
export type { CoverageStatus, RuleCoverage } from './report/coverage.js';
export { parseReportTarget, renderReport, reportFormats } from './report/formats.js';
export type { ReportFormat, ReportTarget } from './report/formats.js';
export { decideGate } from './report/gate.js';
export type { FailOn, GateResult } from './report/gate.js';
export { renderHtml } from './report/html.js';
export { REPORT_SCHEMA_FILE, renderJson } from './report/json.js';
export { renderJunit } from './report/junit.js';
export { renderMarkdown } from './report/markdown.js';
export { buildView, REPORT_VERSION } from './report/view.js';
export type { ReportView, ViewOptions } from './report/view.js';
export { signToken, stringToSign, verifyToken } from './signature/asymmetric.js';
export {
  fingerprint,
  loadPrivateKey,
  loadPublicKey,
  readPrivateKeyFile,
  readPublicKeyFile,
} from './signature/keys.js';
export type { LoadedPrivateKey, LoadedPublicKey } from './signature/keys.js';
export { catalogue } from './spec/catalogue.js';
export type { Rule } from './spec/catalogue.js';
export { formatTimestamp, parseTimestamp } from './timestamp.js';
export type * from './types.js';
export { profiles } from './types.js';
