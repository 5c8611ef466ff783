/**
 * Root hooks for every test file: no test reaches beyond this machine, and no nock
 * interceptor leaks from one test into the next.
 */
import nock from 'nock';

process.env.PACT_DO_NOT_TRACK = 'true';

nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);

export const mochaHooks = {
  afterEach(): void {
    nock.cleanAll();
  },
};
