#!/usr/bin/env node
// The `cambium` command: Dolt's command line over a Cambium database in the current directory.
// This file is copied to the package's bin/ next to lib/, and loads the Node build from
// ../node/cambium.js.
'use strict';

const { main } = require('./lib/main');

main(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  stdin: process.stdin,
  // On a terminal, `sql` without a query is an interactive shell with its prompts on stdout.
  terminal: process.stdin.isTTY ? process.stdout : undefined,
}).then(
  (status) => {
    process.exitCode = status;
  },
  (err) => {
    process.stderr.write(`error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
