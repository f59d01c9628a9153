#!/usr/bin/env node
// CommonJS on purpose: the CLI is short-lived and the ESM loader costs start-up time.
// `berth --version` answers before anything else loads: it is the CLI's start-up floor.
'use strict';
const argv = process.argv;
if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
  const { readFileSync } = require('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(require('node:path').join(__dirname, '..', 'package.json'), 'utf8')).version}\n`);
} else {
  require('../dist/cli/berth.cjs').main(argv);
}
