import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { renderHtml } from '../src/report/html.js';
import type { RunReport } from '../src/report/model.js';
import { underCi } from '../src/report/progress.js';
import { buildView } from '../src/report/view.js';
import { catalogue } from '../src/spec/catalogue.js';
import { Chromium, findChromium, type PageVisit } from './chromium.js';
import { fixedBatteryRun, secretsOf } from './report-fixtures.js';

/** Where to leave screenshots of the report for a person to look at (optional). */
const SCREENSHOTS = process.env.SNAPCHECK_SCREENSHOT_DIR;

describe('the HTML audit report in headless Chromium', function () {
  this.timeout(60_000);
  let browser: Chromium | undefined;
  let folder: string;
  let run: RunReport;
  let page: PageVisit;
  let text: string;

  before(async function () {
    const binary = findChromium();
    if (!binary) {
      // CI installs Chromium (.ci/run); only a developer's machine may lack it.
      if (underCi(process.env))
        throw new Error('chromium is not installed: apt-get install chromium');
      console.log('      (skipped: chromium is not installed; apt-get install chromium)');
      this.skip();
    }
    folder = mkdtempSync(join(tmpdir(), 'snapcheck-html-'));
    run = await fixedBatteryRun();
    const file = join(folder, 'audit.html');
    writeFileSync(file, renderHtml(buildView(run, { failOn: 'error', showSecrets: false })));

    browser = Chromium.launch(binary!);
    page = await browser.visit(pathToFileURL(file).href);
    text = await page.evaluate<string>('document.body.innerText');
  });

  after(async () => {
    await browser?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('opens with the verdict, then the summary of what judged the run', () => {
    const lines = text.split('\n').filter((line) => line.trim() !== '');

    assert.deepEqual(lines.slice(0, 4), [
      'SNAPCHECK AUDIT REPORT',
      'NOT CONFORMING',
      'provider battery · http://127.0.0.1:8080/authorization/v1/access-token/b2b · profile doku',
      'Summary',
    ]);
    assert.match(text, /Gate\s+--fail-on error: failed \(8 errors\); exit code 1/);
    assert.match(text, /Rule catalogue\s+v1, sha256 b{64}/);
    assert.match(
      text,
      /access tokens and signatures shortened to prefix…\[N chars\] \(14 values\)/,
    );
  });

  it('shows each case with its redacted exchange, findings, rule texts and sources', async () => {
    const cases = await page.evaluate<string[]>(
      "[...document.querySelectorAll('article.case h3')].map((h) => h.innerText)",
    );
    assert.equal(cases.length, 19);
    assert.equal(cases[8], 'FAIL timestamp-stale X-TIMESTAMP well outside the window, in the past');

    const stale = await page.evaluate<string>("document.getElementById('case-9').innerText");
    assert.match(stale, /Accepts: 401 4017300/);
    assert.match(stale, /X-SIGNATURE: [A-Za-z0-9+/]{10}…\[344 chars\]/);
    assert.match(stale, /"accessToken": "[A-Za-z0-9_-]{10}…\[43 chars\]"/);
    assert.match(
      stale,
      /error battery\.outcome at response\n+answered 200 2007300 "Successful"; expected 401/,
    );
    assert.match(stale, /rule\tThe provider answers the case with a status and responseCode/);
    assert.match(
      stale,
      /source\tSNAP \(Standar Nasional Open API Pembayaran\).*Response code list/,
    );
  });

  it('lists every rule of the catalogue with its source and what the run made of it', async () => {
    const rows = await page.evaluate<string[][]>(
      "[...document.querySelectorAll('table.coverage tbody tr')]" +
        '.map((tr) => [...tr.cells].map((td) => td.innerText))',
    );
    const rules = catalogue().rules;

    assert.equal(rows.length, rules.length);
    const byRule = new Map(rows.map((cells) => [cells[0]!.split('\n')[0], cells]));
    assert.deepEqual(byRule.get('response.expires-in.form')?.slice(1, 5), [
      'error',
      'snap expiresIn String; DOKU example and SDKs: number 900',
      'failed (error)',
      '4',
    ]);
    assert.equal(byRule.get('response.code.case')?.[3], 'passed');
    assert.equal(byRule.get('request.signature.verifies')?.[3], 'not exercised');
    assert.equal(byRule.get('response.additional-info.form')?.[3], 'off');
  });

  it('loads nothing but itself', async () => {
    const resources = await page.evaluate<number>(
      "performance.getEntriesByType('resource').length",
    );
    const fetching = await page.evaluate<number>(
      "document.querySelectorAll('script, link, img, iframe, object, embed, video, audio').length",
    );

    assert.equal(page.requests.length, 1);
    assert.match(page.requests[0] ?? '', /^file:\/\/.*\/audit\.html$/);
    assert.equal(resources, 0);
    assert.equal(fetching, 0);
  });

  it('would notice a page that loads something (the check above can fail)', async () => {
    let hits = 0;
    const server: Server = createServer((_req, res) => {
      hits += 1;
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const control = join(folder, 'control.html');
      writeFileSync(control, `<!DOCTYPE html><img src="http://127.0.0.1:${port}/pixel.png">`);

      const visit = await browser!.visit(pathToFileURL(control).href);

      assert.deepEqual(visit.requests.slice(1), [`http://127.0.0.1:${port}/pixel.png`]);
      assert.equal(hits, 1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('shows no token or signature of the run in full', () => {
    for (const secret of secretsOf(run)) {
      assert.ok(!text.includes(secret.slice(0, 11)), `the page holds ${secret.slice(0, 11)}`);
    }
  });

  it('prints', async () => {
    const pdf = await page.pdf();

    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? [];
    assert.ok(pages.length >= 5, `a multi-page audit, got ${pages.length} pages`);
    if (SCREENSHOTS) {
      writeFileSync(join(SCREENSHOTS, 'audit.pdf'), pdf);
      writeFileSync(join(SCREENSHOTS, 'audit-top.png'), await page.screenshot(1280, 1600));
    }
  });
});
