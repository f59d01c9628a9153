#!/usr/bin/env node
// CommonJS on purpose: the CLI is short-lived and the ESM loader costs start-up time.
// `berth --version` answers before anything else loads: it is the CLI's start-up floor.
// `berth exec SESSION -- CMD...` is tried first from a small bundle without commander.
// Bundles are compiled with a V8 code cache kept beside them (*.v8cache, written by the
// first run after a build; about 5 ms less per command). A missing, stale or unwritable
// cache only costs that time back.
'use strict';
const argv = process.argv;
const fs = require('node:fs');
const path = require('node:path');

/** Loads dist/cli/<name> like require(), through its code cache. */
function load(name) {
  const vm = require('node:vm');
  const Module = require('node:module');
  const file = path.join(__dirname, '..', 'dist', 'cli', name);
  const cacheFile = `${file}.v8cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {}
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, ...(cachedData ? { cachedData } : {}) });
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {}
    });
  }
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  return mod.exports;
}

if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
  process.stdout.write(`${JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version}\n`);
} else if (argv[2] === 'exec' || argv[4] === 'exec') {
  load('berth-exec.cjs')
    .fastExec(argv)
    .then((done) => done || load('berth.cjs').main(argv));
} else {
  load('berth.cjs').main(argv);
}
