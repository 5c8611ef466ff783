#!/usr/bin/env node
// Entry point installed as `snapcheck`; the CLI itself lives in src/cli (compiled to dist/).
import '../dist/cli/main.js';
